//! Everything the hub and the sandbox do with bytes from the other side: envelope parse,
//! signature check, decrypt, inbound parse, reply parse, scene decoding. Nothing may panic,
//! and whatever parses must survive `parse(to_xml(x)) == x`.
//!
//! Run (the corpus in `corpus/callback` is kept between runs and not committed; the seeds
//! and the dictionary only reach libFuzzer when named):
//! `cd fuzz && mkdir -p corpus/callback && RUSTC_BOOTSTRAP=1 cargo fuzz run callback
//! corpus/callback seeds/callback -- -dict=callback.dict -max_total_time=600`

#![no_main]

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use wx_protocol::{
    decode_event_key, decode_numeric_scene, decode_string_scene, EncodingAesKey, EncryptedReply,
    EncryptedRequest, InboundMessage, MessageCrypt, ReplyMessage, MAX_XML_BYTES,
};

const TOKEN: &str = "fuzztoken";
const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const RECEIVE_ID: &str = "wx2c2769f8efd9abc2";

fn crypt() -> MessageCrypt {
    MessageCrypt::new(EncodingAesKey::parse(KEY).expect("sample key"), RECEIVE_ID)
}

fn check_inbound(xml: &str) {
    if let Ok(message) = InboundMessage::parse(xml) {
        let again = message.to_xml();
        if again.len() <= MAX_XML_BYTES {
            let reparsed = InboundMessage::parse(&again).expect("to_xml output parses");
            assert_eq!(reparsed, message, "inbound round trip");
        }
        let _ = message.event().map(|e| e.scan_info());
    }
}

fn check_reply(xml: &str) {
    if let Ok(reply) = ReplyMessage::parse(xml) {
        let again = reply.to_xml();
        if again.len() <= MAX_XML_BYTES {
            assert_eq!(
                ReplyMessage::parse(&again).expect("to_xml output parses"),
                reply
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let crypt = crypt();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        // The raw body of a callback POST.
        0 => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            if let Ok(request) = EncryptedRequest::parse(text) {
                assert_eq!(
                    EncryptedRequest::parse(&request.to_xml()).as_ref(),
                    Ok(&request)
                );
                let _ = request.open(&crypt, TOKEN, "1", "n", "deadbeef");
                if let Ok(plaintext) = crypt.decrypt(&request.encrypt) {
                    check_inbound(&plaintext);
                }
            }
            check_inbound(text);
        }
        // A passive reply, plaintext or sealed.
        1 => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            check_reply(text);
            if let Ok(sealed) = EncryptedReply::parse(text) {
                assert_eq!(
                    EncryptedReply::parse(&sealed.to_xml()).as_ref(),
                    Ok(&sealed)
                );
                if let Ok(plaintext) = sealed.open(&crypt, TOKEN) {
                    check_reply(&plaintext);
                }
            }
        }
        // Arbitrary ciphertext bytes: padding, length field and receive id checks.
        2 => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(rest);
            if let Ok(plaintext) = crypt.decrypt(&b64) {
                check_inbound(&plaintext);
            }
            let _ = crypt.decrypt_any_receiver(&b64);
        }
        // Plaintext sealed and opened again, then parsed: the full hub path on any message.
        _ => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            let (request, signature) =
                EncryptedRequest::seal(&crypt, TOKEN, "gh", None, text, "1700000000", "nonce");
            let opened = request
                .open(&crypt, TOKEN, "1700000000", "nonce", &signature)
                .expect("sealed request opens");
            assert_eq!(opened, text);
            check_inbound(&opened);
            let _ = decode_event_key(text);
            let _ = decode_string_scene(text);
            if let Ok(id) = text.trim().parse::<u32>() {
                assert!(decode_numeric_scene(id).source <= 31);
            }
            let _ = EncodingAesKey::parse(text);
        }
    }
});
