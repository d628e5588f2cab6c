//! Known-answer tests from WeChat's published sample code and wechatpy's test suite, plus
//! round-trip properties and hostile ciphertexts.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use proptest::prelude::*;

use super::{CryptoError, EncodingAesKey, MessageCrypt};
use crate::envelope::{EncryptedReply, EncryptedRequest};
use crate::xml::parse_document;

fn crypt(key: &str, receive_id: &str) -> MessageCrypt {
    MessageCrypt::new(EncodingAesKey::parse(key).unwrap(), receive_id)
}

/// WeChat's official Official Account sample (WXBizMsgCrypt Sample.py by jonyqin, 2014), as
/// published with the sample code and reproduced in e.g. charlesXu86/Chatbot_CN
/// Chatbot_Web/impl/weixin/Sample.py and wegostudio/wego tests/crypto/tests.py.
mod official_mp_sample {
    use super::*;

    pub const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    pub const TOKEN: &str = "spamtest";
    pub const APPID: &str = "wx2c2769f8efd9abc2";
    pub const TIMESTAMP: &str = "1409735669";
    pub const NONCE: &str = "1320562132";
    pub const MSG_SIGNATURE: &str = "5d197aaffba7e9b25a30732f161a50dee96bd5fa";
    pub const FROM_XML: &str = "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=]]></Encrypt></xml>";

    #[test]
    fn compatible_mode_sample_verifies_and_decrypts() {
        let request = EncryptedRequest::parse(FROM_XML).unwrap();
        assert_eq!(request.to_user_name, "gh_10f6c3c3ac5a");
        let plaintext = request
            .open(&crypt(KEY, APPID), TOKEN, TIMESTAMP, NONCE, MSG_SIGNATURE)
            .unwrap();
        let root = parse_document(&plaintext).unwrap();
        assert_eq!(root.child_text("MsgType"), Some("text"));
        assert_eq!(
            root.child_text("FromUserName"),
            Some("oyORnuP8q7ou2gfYjqLzSIWZf0rs")
        );
    }

    #[test]
    fn sample_with_a_wrong_appid_is_refused_with_40005() {
        let request = EncryptedRequest::parse(FROM_XML).unwrap();
        let err = request
            .open(
                &crypt(KEY, "wx0000000000000000"),
                TOKEN,
                TIMESTAMP,
                NONCE,
                MSG_SIGNATURE,
            )
            .unwrap_err();
        assert_eq!(
            err,
            CryptoError::ReceiveIdMismatch {
                expected: "wx0000000000000000".into(),
                found: APPID.into()
            }
        );
        assert_eq!(err.wechat_code(), -40005);
    }

    #[test]
    fn sample_with_a_wrong_token_is_refused_with_40001() {
        let request = EncryptedRequest::parse(FROM_XML).unwrap();
        let err = request
            .open(&crypt(KEY, APPID), "other", TIMESTAMP, NONCE, MSG_SIGNATURE)
            .unwrap_err();
        assert_eq!(err, CryptoError::InvalidSignature);
        assert_eq!(err.wechat_code(), -40001);
    }
}

/// WeChat's official Java sample test (com.qq.weixin.mp.aes WXBizMsgCryptTest), as
/// reproduced in Wyl015/wuyiling work-test/src/main/resources/Utils/aes/WXBizMsgCryptTest.java:
/// a fixed random prefix gives a fixed ciphertext.
#[test]
fn official_java_sample_encrypts_deterministically() {
    let c = crypt(
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "wxb11529c136998cb6",
    );
    let random = *b"aaaabbbbccccdddd";
    let short = c.encrypt_with_random(random, "我是中文abcd123");
    assert_eq!(
        short,
        "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
    );
    assert_eq!(c.decrypt(&short).unwrap(), "我是中文abcd123");

    let long_msg = "<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>";
    let long = c.encrypt_with_random(random, long_msg);
    assert_eq!(long, "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb");
    assert_eq!(c.decrypt(&long).unwrap(), long_msg);
}

/// wechatpy/wechatpy tests/test_crypto.py (WeCom crypto, `wechatpy.work.crypto`).
mod wechatpy_work {
    use super::*;

    const TOKEN: &str = "123456";
    const KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
    const CORP_ID: &str = "wx49f0ab532d5d035a";

    #[test]
    fn encrypt_message_matches() {
        // test_encrypt_message, with the random prefix mocked to "1234567890123456".
        let reply = "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>";
        let c = crypt(KEY, CORP_ID);
        let encrypt = c.encrypt_with_random(*b"1234567890123456", reply);
        let sealed = EncryptedReply::seal_encrypted(TOKEN, encrypt, "1411525903", "461056294");
        assert_eq!(sealed.encrypt, "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3");
        assert_eq!(
            sealed.msg_signature,
            "407518b7649e86ef23978113f92d27afa9296533"
        );
        let parsed = EncryptedReply::parse(&sealed.to_xml()).unwrap();
        assert_eq!(parsed, sealed);
        assert_eq!(parsed.open(&c, TOKEN).unwrap(), reply);
    }

    #[test]
    fn decrypt_message_matches() {
        // test_decrypt_message.
        let xml = "<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n<Encrypt><![CDATA[RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=]]></Encrypt>\n<AgentID><![CDATA[1]]></AgentID>\n</xml>";
        let request = EncryptedRequest::parse(xml).unwrap();
        assert_eq!(request.agent_id.as_deref(), Some("1"));
        let plaintext = request
            .open(
                &crypt(KEY, CORP_ID),
                TOKEN,
                "1411525903",
                "461056294",
                "74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
            )
            .unwrap();
        let root = parse_document(&plaintext).unwrap();
        assert_eq!(root.child_text("Content"), Some("test"));
        assert_eq!(root.child_text("FromUserName"), Some("messense"));
    }

    #[test]
    fn echostr_decrypts_after_signature_check() {
        // test_check_signature_should_ok: WeCom's URL verification echostr.
        let echostr =
            "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==";
        assert!(crate::signature::verify_callback_signature(
            TOKEN,
            "1411443780",
            "437374425",
            Some(echostr),
            "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96"
        ));
        let plain = crypt(KEY, CORP_ID).decrypt(echostr).unwrap();
        assert!(!plain.is_empty());
    }
}

#[test]
fn hostile_ciphertexts_get_typed_errors() {
    let c = crypt(
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "wx2c2769f8efd9abc2",
    );
    assert_eq!(c.decrypt("not base64 !!!"), Err(CryptoError::Base64));
    assert_eq!(c.decrypt("abc"), Err(CryptoError::Base64));
    assert_eq!(c.decrypt(""), Err(CryptoError::Decrypt));
    assert_eq!(
        c.decrypt(&STANDARD.encode([0u8; 15])),
        Err(CryptoError::Decrypt)
    );
    assert_eq!(
        c.decrypt(&STANDARD.encode([0u8; 33])),
        Err(CryptoError::Decrypt)
    );
    assert_eq!(CryptoError::Base64.wechat_code(), -40010);
}

/// Encrypts raw bytes with WeChat's scheme but arbitrary content, to build bad plaintexts.
fn encrypt_raw(c: &MessageCrypt, key: &str, plain: &[u8]) -> String {
    use aes::cipher::{BlockEncryptMut, KeyIvInit};
    let key = EncodingAesKey::parse(key).unwrap();
    let iv: [u8; 16] = key.as_bytes()[..16].try_into().unwrap();
    let mut buf = plain.to_vec();
    assert_eq!(buf.len() % 16, 0);
    let mut enc = cbc::Encryptor::<aes::Aes256>::new(key.as_bytes().into(), (&iv).into());
    for block in buf.chunks_exact_mut(16) {
        enc.encrypt_block_mut(block.into());
    }
    let _ = c;
    STANDARD.encode(buf)
}

#[test]
fn bad_plaintext_structure_gets_typed_errors() {
    let key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    let c = crypt(key, "wxid");
    let padded = |mut body: Vec<u8>, pad: u8| {
        body.extend(std::iter::repeat_n(pad, pad as usize));
        body
    };

    // Padding byte 0, padding byte over 32, inconsistent padding bytes.
    let mut zero = vec![1u8; 32];
    zero[31] = 0;
    assert_eq!(
        c.decrypt(&encrypt_raw(&c, key, &zero)),
        Err(CryptoError::Padding)
    );
    let over = vec![33u8; 64];
    assert_eq!(
        c.decrypt(&encrypt_raw(&c, key, &over)),
        Err(CryptoError::Padding)
    );
    let mut uneven = padded(vec![0u8; 28], 4);
    uneven[29] = 3;
    assert_eq!(
        c.decrypt(&encrypt_raw(&c, key, &uneven)),
        Err(CryptoError::Padding)
    );
    assert_eq!(CryptoError::Padding.wechat_code(), -40007);

    // Too short for the 20-byte header.
    let short = padded(vec![0u8; 16], 16);
    assert_eq!(
        c.decrypt(&encrypt_raw(&c, key, &short)),
        Err(CryptoError::LengthMismatch)
    );

    // A length field that points past the end.
    let mut body = vec![0u8; 16];
    body.extend_from_slice(&1000u32.to_be_bytes());
    body.extend_from_slice(b"hello");
    let body_len = body.len();
    let long = padded(body, (32 - body_len % 32) as u8);
    assert_eq!(
        c.decrypt(&encrypt_raw(&c, key, &long)),
        Err(CryptoError::LengthMismatch)
    );
    assert_eq!(CryptoError::LengthMismatch.wechat_code(), -40008);

    // A message that is not UTF-8.
    let mut body = vec![0u8; 16];
    body.extend_from_slice(&2u32.to_be_bytes());
    body.extend_from_slice(&[0xff, 0xfe]);
    body.extend_from_slice(b"wxid");
    let body_len = body.len();
    let bad_utf8 = padded(body, (32 - body_len % 32) as u8);
    assert_eq!(
        c.decrypt(&encrypt_raw(&c, key, &bad_utf8)),
        Err(CryptoError::Utf8)
    );

    // 16-byte-block padding, as some other implementations send it, is accepted.
    let mut body = vec![0u8; 16];
    body.extend_from_slice(&2u32.to_be_bytes());
    body.extend_from_slice(b"hiwxid");
    let body_len = body.len();
    let by16 = padded(body, (16 - body_len % 16) as u8);
    assert_eq!(c.decrypt(&encrypt_raw(&c, key, &by16)).unwrap(), "hi");
}

#[test]
fn tampered_ciphertext_never_panics() {
    let c = crypt("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wxid");
    let good = STANDARD.decode(c.encrypt("<xml><A>1</A></xml>")).unwrap();
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x5a;
        // Flipping a byte must give either a typed error or (for a flip that only hits the
        // random prefix) the message itself; never a panic.
        let _ = c.decrypt(&STANDARD.encode(&bad));
    }
}

#[test]
fn debug_output_hides_the_key() {
    let c = crypt("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wxid");
    let shown = format!("{c:?}");
    assert!(shown.contains("wxid"));
    assert!(!shown.contains("abcdef"));
    assert!(!shown.contains("69b71d"));
}

proptest! {
    #[test]
    fn encrypt_then_decrypt_round_trips(
        key in any::<[u8; 32]>(),
        receive_id in "[a-zA-Z0-9_]{0,40}",
        random in any::<[u8; 16]>(),
        message in any::<String>(),
    ) {
        let c = MessageCrypt::new(EncodingAesKey::from_bytes(key), receive_id);
        let sealed = c.encrypt_with_random(random, &message);
        let raw = STANDARD.decode(&sealed).unwrap();
        prop_assert_eq!(raw.len() % 32, 0);
        prop_assert_eq!(c.decrypt(&sealed).unwrap(), message);
    }

    #[test]
    fn decrypt_never_panics_on_arbitrary_input(input in any::<String>(), raw in proptest::collection::vec(any::<u8>(), 0..200)) {
        let c = crypt("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wxid");
        let _ = c.decrypt(&input);
        let _ = c.decrypt(&STANDARD.encode(&raw));
    }

    #[test]
    fn sealed_replies_open(message in any::<String>(), timestamp in "[0-9]{1,12}", nonce in "[a-zA-Z0-9]{1,16}") {
        let c = crypt("kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a");
        let sealed = EncryptedReply::seal(&c, "token", &message, &timestamp, &nonce);
        let parsed = EncryptedReply::parse(&sealed.to_xml()).unwrap();
        prop_assert_eq!(&parsed, &sealed);
        prop_assert_eq!(parsed.open(&c, "token").unwrap(), message);
        prop_assert_eq!(parsed.open(&c, "other"), Err(CryptoError::InvalidSignature));
    }
}
