//! The WeCom (企业微信) callback path and the passive-reply builders.
//!
//! WeCom side: the encrypted envelope whose receive id is the CorpID, the `msg_signature`
//! check, decryption, WeCom inbound parsing (app messages with `AgentID`, `change_contact`
//! directory changes, `enter_agent`, `batch_job_result`) and the URL check's encrypted
//! `echostr`. Reply side: every `Reply` variant built from fuzzed fields, `to_xml`, parsed
//! back equal, sealed as an `EncryptedReply` and opened to the same XML.
//!
//! The first input byte picks a mode; modes 0-3 and 7 take the rest as raw wire text or
//! bytes (seeds in `seeds/work_reply/`, made by `gen_work_reply_seeds.py`), modes 4-6 read
//! structured values from it with `arbitrary`. Nothing may panic, and every oracle below is
//! a property the crate promises.
//!
//! Run (the corpus in `corpus/work_reply` is kept between runs and not committed):
//! `cd fuzz && mkdir -p corpus/work_reply && RUSTC_BOOTSTRAP=1 cargo fuzz run work_reply
//! corpus/work_reply seeds/work_reply -- -dict=work_reply.dict -max_total_time=900`

#![no_main]

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use wx_protocol::{
    callback_signature, open_echostr, verify_callback_signature, Article, ArticleCountError,
    BatchJob, ContactChange, ContactUser, CryptoError, Element, EncodingAesKey, EncryptedReply,
    EncryptedRequest, Event, InboundBody, InboundMessage, MessageCrypt, MsgId, NewsArticles, Party,
    Reply, ReplyMessage, TagChange, MAX_NEWS_ARTICLES, MAX_XML_BYTES,
};

/// The sample values of WeCom's 加解密方案 documentation (its echostr vector is a seed).
const TOKEN: &str = "QDG6eK";
const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const CORP_ID: &str = "wx5823bf96d3bd56c7";
/// Another corp under the same key: its crypt must refuse `CORP_ID`'s ciphertexts.
const OTHER_CORP_ID: &str = "ww0000000000000000";
/// A suite id, the other receive id WeCom uses (third-party apps).
const SUITE_ID: &str = "wwddddccc7775555aaa";
const TIMESTAMP: &str = "1409659813";
const NONCE: &str = "1372623149";

fn key() -> &'static EncodingAesKey {
    static KEY_: OnceLock<EncodingAesKey> = OnceLock::new();
    KEY_.get_or_init(|| EncodingAesKey::parse(KEY).expect("sample key"))
}

fn crypt() -> &'static MessageCrypt {
    static CRYPT: OnceLock<MessageCrypt> = OnceLock::new();
    CRYPT.get_or_init(|| MessageCrypt::new(key().clone(), CORP_ID))
}

fn other_crypt() -> &'static MessageCrypt {
    static CRYPT: OnceLock<MessageCrypt> = OnceLock::new();
    CRYPT.get_or_init(|| MessageCrypt::new(key().clone(), OTHER_CORP_ID))
}

/// `signature` with one hex digit changed: it must never verify.
fn tampered(signature: &str, at: usize) -> String {
    let mut chars: Vec<char> = signature.chars().collect();
    if chars.is_empty() {
        return "00".into();
    }
    let i = at % chars.len();
    chars[i] = if chars[i] == '0' { '1' } else { '0' };
    chars.into_iter().collect()
}

fn is_receive_id_mismatch<T>(result: &Result<T, CryptoError>) -> bool {
    matches!(result, Err(CryptoError::ReceiveIdMismatch { .. }))
}

/// Whatever parses survives `parse(to_xml(m)) == m`; the accessors never panic.
fn check_inbound(xml: &str) -> Option<InboundMessage> {
    let message = InboundMessage::parse(xml).ok()?;
    let again = message.to_xml();
    if again.len() <= MAX_XML_BYTES {
        let reparsed = InboundMessage::parse(&again).expect("to_xml output parses");
        assert_eq!(reparsed, message, "inbound round trip");
    }
    let _ = (message.msg_type(), message.msg_id(), message.event_name());
    if let Some(event) = message.event() {
        let _ = (event.event_key(), event.scan_info(), event.msg_id());
        if let Event::ChangeContact(change) = event {
            let _ = change.change_type();
        }
    }
    Some(message)
}

/// A reply the hub wrote: it parses back equal, and sealed with the WeCom crypt it opens to
/// the same XML, under the right token and signature only.
fn check_reply_message(reply: &ReplyMessage, timestamp: &str, nonce: &str, tamper_at: usize) {
    let xml = reply.to_xml();
    if xml.len() > MAX_XML_BYTES {
        return;
    }
    assert_eq!(
        ReplyMessage::parse(&xml).as_ref(),
        Ok(reply),
        "reply round trip"
    );

    let sealed = EncryptedReply::seal(crypt(), TOKEN, &xml, timestamp, nonce);
    let wire = sealed.to_xml();
    let back = EncryptedReply::parse(&wire).expect("sealed reply parses");
    assert_eq!(back, sealed, "sealed reply round trip");
    assert_eq!(back.open(crypt(), TOKEN).as_deref(), Ok(xml.as_str()));
    assert!(is_receive_id_mismatch(&back.open(other_crypt(), TOKEN)));
    // A longer token makes a longer signed string: no collision is possible.
    assert_eq!(
        back.open(crypt(), "QDG6eK!"),
        Err(CryptoError::InvalidSignature)
    );
    let forged = EncryptedReply {
        msg_signature: tampered(&back.msg_signature, tamper_at),
        ..back.clone()
    };
    assert_eq!(
        forged.open(crypt(), TOKEN),
        Err(CryptoError::InvalidSignature)
    );
    let opened = back.open(crypt(), TOKEN).expect("opened above");
    assert_eq!(
        ReplyMessage::parse(&opened).as_ref(),
        Ok(reply),
        "sealed reply"
    );
}

/// Raw reply XML, plaintext or sealed: whatever parses round-trips.
fn check_raw_reply(text: &str) {
    if let Ok(reply) = ReplyMessage::parse(text) {
        check_reply_message(&reply, TIMESTAMP, NONCE, text.len());
    }
    if let Ok(sealed) = EncryptedReply::parse(text) {
        assert_eq!(
            EncryptedReply::parse(&sealed.to_xml()).as_ref(),
            Ok(&sealed)
        );
        let opened = sealed.open(crypt(), TOKEN);
        if verify_callback_signature(
            TOKEN,
            &sealed.timestamp,
            &sealed.nonce,
            Some(&sealed.encrypt),
            &sealed.msg_signature,
        ) {
            assert_eq!(opened, crypt().decrypt(&sealed.encrypt));
        } else {
            assert_eq!(opened, Err(CryptoError::InvalidSignature));
        }
        // Re-signed, the same ciphertext reaches the cipher.
        let resigned = EncryptedReply::seal_encrypted(TOKEN, sealed.encrypt.clone(), "1", "n");
        let opened = resigned.open(crypt(), TOKEN);
        assert_eq!(opened, crypt().decrypt(&sealed.encrypt));
        if let Ok(plaintext) = opened {
            if let Ok(reply) = ReplyMessage::parse(&plaintext) {
                check_reply_message(&reply, "1", "n", 0);
            }
        }
    }
}

/// The raw body of a WeCom callback POST, signed with the query the hub would receive.
fn check_raw_envelope(text: &str) {
    if let Ok(request) = EncryptedRequest::parse(text) {
        assert_eq!(
            EncryptedRequest::parse(&request.to_xml()).as_ref(),
            Ok(&request)
        );
        let signature = callback_signature(TOKEN, TIMESTAMP, NONCE, Some(&request.encrypt));
        let opened = request.open(crypt(), TOKEN, TIMESTAMP, NONCE, &signature);
        assert_eq!(opened, crypt().decrypt(&request.encrypt));
        assert_eq!(
            request.open(
                crypt(),
                TOKEN,
                TIMESTAMP,
                NONCE,
                &signature.to_ascii_uppercase()
            ),
            opened,
            "upper-case hex verifies too"
        );
        assert_eq!(
            request.open(
                crypt(),
                TOKEN,
                TIMESTAMP,
                NONCE,
                &tampered(&signature, text.len())
            ),
            Err(CryptoError::InvalidSignature)
        );
        match &opened {
            Ok(plaintext) => {
                assert_eq!(
                    crypt().decrypt_any_receiver(&request.encrypt),
                    Ok((plaintext.clone(), CORP_ID.to_owned()))
                );
                assert!(is_receive_id_mismatch(
                    &other_crypt().decrypt(&request.encrypt)
                ));
                if let Some(message) = check_inbound(plaintext) {
                    let reply = ReplyMessage::to(
                        &message,
                        message.create_time,
                        Reply::Text {
                            content: message.msg_type().to_owned(),
                        },
                    );
                    check_reply_message(&reply, TIMESTAMP, NONCE, 7);
                }
            }
            Err(CryptoError::ReceiveIdMismatch { .. }) => {
                let (_, receive_id) = crypt()
                    .decrypt_any_receiver(&request.encrypt)
                    .expect("only the receive id was wrong");
                assert_ne!(receive_id, CORP_ID);
            }
            Err(_) => {}
        }
        // Whatever a message's AgentID field says, the envelope keeps it as text.
        let _ = request.agent_id.as_deref().map(str::parse::<u32>);
    }
    // Compatible mode: the plaintext fields next to `Encrypt`.
    check_inbound(text);
}

/// A plaintext WeCom message, sealed as WeCom does and taken through the hub's path.
fn check_sealed_plaintext(text: &str) {
    let agent_id = InboundMessage::parse(text)
        .ok()
        .and_then(|m| m.agent_id)
        .map(|id| id.to_string());
    let (request, signature) =
        EncryptedRequest::seal(crypt(), TOKEN, CORP_ID, agent_id, text, TIMESTAMP, NONCE);
    let body = request.to_xml();
    let parsed = EncryptedRequest::parse(&body).expect("sealed envelope parses");
    assert_eq!(parsed, request);
    let opened = parsed
        .open(crypt(), TOKEN, TIMESTAMP, NONCE, &signature)
        .expect("sealed request opens");
    assert_eq!(opened, text);
    assert!(is_receive_id_mismatch(
        &other_crypt().decrypt(&parsed.encrypt)
    ));
    if let Some(message) = check_inbound(&opened) {
        let reply = ReplyMessage::to(
            &message,
            1_409_659_814,
            Reply::Text {
                content: opened.clone(),
            },
        );
        check_reply_message(&reply, TIMESTAMP, NONCE, text.len());
    }
}

/// The URL check's `echostr`, signed as WeCom signs it.
fn check_raw_echostr(echostr: &str) {
    let signature = callback_signature(TOKEN, TIMESTAMP, NONCE, Some(echostr));
    let opened = open_echostr(crypt(), TOKEN, TIMESTAMP, NONCE, &signature, echostr);
    assert_eq!(opened, crypt().decrypt(echostr));
    assert_eq!(
        open_echostr(
            crypt(),
            TOKEN,
            TIMESTAMP,
            NONCE,
            &tampered(&signature, echostr.len()),
            echostr
        ),
        Err(CryptoError::InvalidSignature)
    );
    if let Ok(plaintext) = opened {
        let again = crypt().encrypt(&plaintext);
        assert_eq!(crypt().decrypt(&again).as_ref(), Ok(&plaintext));
    }
}

/// Arbitrary ciphertext bytes: `decrypt` and `decrypt_any_receiver` agree.
fn check_raw_ciphertext(bytes: &[u8]) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    let strict = crypt().decrypt(&b64);
    let any = crypt().decrypt_any_receiver(&b64);
    match (&strict, &any) {
        (Ok(message), Ok((same, receive_id))) => {
            assert_eq!(message, same);
            assert_eq!(receive_id, CORP_ID);
            check_inbound(message);
        }
        (Err(CryptoError::ReceiveIdMismatch { found, .. }), Ok((_, receive_id))) => {
            assert_ne!(receive_id, CORP_ID);
            assert!(found.chars().count() <= 64, "error keeps receive ids short");
            assert!(receive_id.starts_with(found.as_str()));
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("decrypt {strict:?} disagrees with decrypt_any_receiver {any:?}"),
    }
    let signature = callback_signature(TOKEN, TIMESTAMP, NONCE, Some(&b64));
    assert_eq!(
        open_echostr(crypt(), TOKEN, TIMESTAMP, NONCE, &signature, &b64),
        strict
    );
}

// ---- Structured inputs ------------------------------------------------------------------

/// A WeCom userid: 1 to 64 of letters, digits and `_-@.`. Lists of them are comma-joined
/// on the wire, so only such ids can round-trip through a list.
#[derive(Debug)]
struct UserId(String);

impl<'a> Arbitrary<'a> for UserId {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        const ALPHABET: &[u8] =
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-@.";
        let len = u.int_in_range(1..=64)?;
        let mut id = String::with_capacity(len);
        for _ in 0..len {
            id.push(char::from(*u.choose(ALPHABET)?));
        }
        Ok(Self(id))
    }
}

fn ids(list: Vec<UserId>) -> Vec<String> {
    list.into_iter().map(|id| id.0).collect()
}

fn finite(x: f64) -> f64 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

/// One `ExtAttr/Item`: a text or a web attribute, as WeCom sends them.
#[derive(Arbitrary, Debug)]
enum ExtItem {
    Text {
        name: String,
        value: String,
    },
    Web {
        name: String,
        title: String,
        url: String,
    },
    Empty {
        name: String,
    },
}

impl ExtItem {
    fn into_element(self) -> Element {
        let (name, kind, body) = match self {
            Self::Text { name, value } => (
                name,
                "0",
                Element::parent("Text", vec![Element::leaf("Value", value)]),
            ),
            Self::Web { name, title, url } => (
                name,
                "1",
                Element::parent(
                    "Web",
                    vec![Element::leaf("Title", title), Element::leaf("Url", url)],
                ),
            ),
            Self::Empty { name } => (name, "0", Element::parent("Text", Vec::new())),
        };
        Element::parent(
            "Item",
            vec![
                Element::leaf("Name", name),
                Element::leaf("Type", kind),
                body,
            ],
        )
    }
}

#[derive(Arbitrary, Debug)]
struct UserIn {
    user_id: String,
    new_user_id: Option<String>,
    name: Option<String>,
    department: Option<Vec<u64>>,
    main_department: Option<u64>,
    is_leader_in_dept: Option<Vec<u8>>,
    direct_leader: Option<Vec<UserId>>,
    position: Option<String>,
    mobile: Option<String>,
    gender: Option<u8>,
    email: Option<String>,
    biz_mail: Option<String>,
    status: Option<u8>,
    avatar: Option<String>,
    alias: Option<String>,
    telephone: Option<String>,
    address: Option<String>,
    ext_attr: Vec<ExtItem>,
}

impl UserIn {
    fn build(self) -> ContactUser {
        ContactUser {
            user_id: self.user_id,
            new_user_id: self.new_user_id,
            name: self.name,
            department: self.department,
            main_department: self.main_department,
            is_leader_in_dept: self.is_leader_in_dept,
            direct_leader: self.direct_leader.map(ids),
            position: self.position,
            mobile: self.mobile,
            gender: self.gender,
            email: self.email,
            biz_mail: self.biz_mail,
            status: self.status,
            avatar: self.avatar,
            alias: self.alias,
            telephone: self.telephone,
            address: self.address,
            ext_attr: self
                .ext_attr
                .into_iter()
                .map(ExtItem::into_element)
                .collect(),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct PartyIn {
    id: u64,
    name: Option<String>,
    parent_id: Option<u64>,
    order: Option<u64>,
}

impl PartyIn {
    fn build(self) -> Party {
        Party {
            id: self.id,
            name: self.name,
            parent_id: self.parent_id,
            order: self.order,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum ContactIn {
    CreateUser(UserIn),
    UpdateUser(UserIn),
    DeleteUser(String),
    CreateParty(PartyIn),
    UpdateParty(PartyIn),
    DeleteParty(u64),
    UpdateTag {
        tag_id: u64,
        add_user_items: Vec<UserId>,
        del_user_items: Vec<UserId>,
        add_party_items: Vec<u64>,
        del_party_items: Vec<u64>,
    },
}

impl ContactIn {
    fn build(self) -> ContactChange {
        match self {
            Self::CreateUser(user) => ContactChange::CreateUser(user.build()),
            Self::UpdateUser(user) => ContactChange::UpdateUser(user.build()),
            Self::DeleteUser(user_id) => ContactChange::DeleteUser { user_id },
            Self::CreateParty(party) => ContactChange::CreateParty(party.build()),
            Self::UpdateParty(party) => ContactChange::UpdateParty(party.build()),
            Self::DeleteParty(id) => ContactChange::DeleteParty { id },
            Self::UpdateTag {
                tag_id,
                add_user_items,
                del_user_items,
                add_party_items,
                del_party_items,
            } => ContactChange::UpdateTag(TagChange {
                tag_id,
                add_user_items: ids(add_user_items),
                del_user_items: ids(del_user_items),
                add_party_items,
                del_party_items,
            }),
        }
    }
}

/// What a WeCom app receives.
#[derive(Arbitrary, Debug)]
enum WorkBodyIn {
    Text {
        content: String,
        msg_id: u64,
    },
    Image {
        pic_url: String,
        media_id: String,
        msg_id: u64,
    },
    Voice {
        media_id: String,
        format: String,
        recognition: Option<String>,
        msg_id: u64,
    },
    Video {
        media_id: String,
        thumb_media_id: String,
        msg_id: u64,
    },
    Location {
        x: f64,
        y: f64,
        scale: f64,
        label: String,
        msg_id: u64,
    },
    Link {
        title: String,
        description: String,
        url: String,
        msg_id: u64,
    },
    Subscribe,
    Unsubscribe,
    EnterAgent(String),
    Click(String),
    View(String, Option<String>),
    LocationEvent {
        latitude: f64,
        longitude: f64,
        precision: f64,
    },
    BatchJobResult {
        job_id: String,
        job_type: String,
        err_code: i64,
        err_msg: String,
    },
    ChangeContact(ContactIn),
}

impl WorkBodyIn {
    fn build(self) -> InboundBody {
        match self {
            Self::Text { content, msg_id } => InboundBody::Text {
                content,
                msg_id: MsgId(msg_id),
            },
            Self::Image {
                pic_url,
                media_id,
                msg_id,
            } => InboundBody::Image {
                pic_url,
                media_id,
                msg_id: MsgId(msg_id),
            },
            Self::Voice {
                media_id,
                format,
                recognition,
                msg_id,
            } => InboundBody::Voice {
                media_id,
                format,
                recognition,
                msg_id: MsgId(msg_id),
            },
            Self::Video {
                media_id,
                thumb_media_id,
                msg_id,
            } => InboundBody::Video {
                media_id,
                thumb_media_id,
                msg_id: MsgId(msg_id),
            },
            Self::Location {
                x,
                y,
                scale,
                label,
                msg_id,
            } => InboundBody::Location {
                location_x: finite(x),
                location_y: finite(y),
                scale: finite(scale),
                label,
                msg_id: MsgId(msg_id),
            },
            Self::Link {
                title,
                description,
                url,
                msg_id,
            } => InboundBody::Link {
                title,
                description,
                url,
                msg_id: MsgId(msg_id),
            },
            Self::Subscribe => InboundBody::Event(Event::Subscribe {
                scene: None,
                ticket: None,
            }),
            Self::Unsubscribe => InboundBody::Event(Event::Unsubscribe),
            Self::EnterAgent(event_key) => InboundBody::Event(Event::EnterAgent { event_key }),
            Self::Click(event_key) => InboundBody::Event(Event::Click { event_key }),
            Self::View(event_key, menu_id) => {
                InboundBody::Event(Event::View { event_key, menu_id })
            }
            Self::LocationEvent {
                latitude,
                longitude,
                precision,
            } => InboundBody::Event(Event::Location {
                latitude: finite(latitude),
                longitude: finite(longitude),
                precision: finite(precision),
            }),
            Self::BatchJobResult {
                job_id,
                job_type,
                err_code,
                err_msg,
            } => InboundBody::Event(Event::BatchJobResult(BatchJob {
                job_id,
                job_type,
                err_code,
                err_msg,
            })),
            Self::ChangeContact(change) => InboundBody::Event(Event::ChangeContact(change.build())),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct ArticleIn {
    title: String,
    description: String,
    pic_url: String,
    url: String,
}

/// Every passive reply type the crate models (it has no transfer-to-customer-service).
#[derive(Arbitrary, Debug)]
enum ReplyIn {
    Text(String),
    Image(String),
    Voice(String),
    Video {
        media_id: String,
        title: String,
        description: String,
    },
    Music {
        title: String,
        description: String,
        music_url: String,
        hq_music_url: String,
        thumb_media_id: String,
    },
    News(Vec<ArticleIn>),
}

impl ReplyIn {
    fn build(self) -> Reply {
        match self {
            Self::Text(content) => Reply::Text { content },
            Self::Image(media_id) => Reply::Image { media_id },
            Self::Voice(media_id) => Reply::Voice { media_id },
            Self::Video {
                media_id,
                title,
                description,
            } => Reply::Video {
                media_id,
                title,
                description,
            },
            Self::Music {
                title,
                description,
                music_url,
                hq_music_url,
                thumb_media_id,
            } => Reply::Music {
                title,
                description,
                music_url,
                hq_music_url,
                thumb_media_id,
            },
            Self::News(articles) => {
                let mut articles: Vec<Article> = articles
                    .into_iter()
                    .map(|a| Article {
                        title: a.title,
                        description: a.description,
                        pic_url: a.pic_url,
                        url: a.url,
                    })
                    .collect();
                let count = articles.len();
                match NewsArticles::new(articles.clone()) {
                    Ok(news) => {
                        assert!((1..=MAX_NEWS_ARTICLES).contains(&count));
                        assert_eq!(news.articles(), &articles[..]);
                        Reply::News(news)
                    }
                    Err(err) => {
                        assert_eq!(err, ArticleCountError(count));
                        assert!(count == 0 || count > MAX_NEWS_ARTICLES);
                        articles.truncate(MAX_NEWS_ARTICLES);
                        if articles.is_empty() {
                            articles.push(Article::default());
                        }
                        Reply::News(NewsArticles::new(articles).expect("1 to 8 articles"))
                    }
                }
            }
        }
    }
}

/// A WeCom callback end to end: the message as WeCom would POST it, the hub opening and
/// parsing it, and the passive reply it answers with.
#[derive(Arbitrary, Debug)]
struct WorkCallbackIn {
    from_user_name: String,
    create_time: i64,
    agent_id: Option<u32>,
    body: WorkBodyIn,
    random: [u8; 16],
    timestamp: String,
    nonce: String,
    tamper_at: usize,
    reply_time: i64,
    reply: ReplyIn,
}

fn check_work_callback(input: WorkCallbackIn) {
    let message = InboundMessage {
        to_user_name: CORP_ID.to_owned(),
        from_user_name: input.from_user_name,
        create_time: input.create_time,
        agent_id: input.agent_id,
        body: input.body.build(),
    };
    let xml = message.to_xml();
    if xml.len() > MAX_XML_BYTES {
        return;
    }
    // WeCom's side: encrypt for the CorpID, sign, wrap.
    let encrypt = crypt().encrypt_with_random(input.random, &xml);
    let msg_signature = callback_signature(TOKEN, &input.timestamp, &input.nonce, Some(&encrypt));
    let request = EncryptedRequest {
        to_user_name: CORP_ID.to_owned(),
        agent_id: input.agent_id.map(|id| id.to_string()),
        encrypt,
    };
    let body = request.to_xml();

    // The hub's side.
    let received = EncryptedRequest::parse(&body).expect("envelope parses");
    assert_eq!(received, request);
    let open =
        |signature: &str| received.open(crypt(), TOKEN, &input.timestamp, &input.nonce, signature);
    assert_eq!(
        open(&tampered(&msg_signature, input.tamper_at)),
        Err(CryptoError::InvalidSignature)
    );
    let plaintext = open(&msg_signature).expect("signed request opens");
    assert_eq!(plaintext, xml);
    assert!(is_receive_id_mismatch(
        &other_crypt().decrypt(&received.encrypt)
    ));
    let parsed = InboundMessage::parse(&plaintext).expect("WeCom message parses");
    assert_eq!(parsed, message, "WeCom message round trip");
    check_inbound(&plaintext);

    let reply = ReplyMessage::to(&parsed, input.reply_time, input.reply.build());
    assert_eq!(reply.to_user_name, message.from_user_name);
    assert_eq!(reply.from_user_name, CORP_ID);
    check_reply_message(&reply, &input.timestamp, &input.nonce, input.tamper_at);
}

/// A reply with arbitrary names and wrapper fields.
#[derive(Arbitrary, Debug)]
struct ReplyCaseIn {
    to_user_name: String,
    from_user_name: String,
    create_time: i64,
    body: ReplyIn,
    timestamp: String,
    nonce: String,
    tamper_at: usize,
}

#[derive(Arbitrary, Debug)]
enum ReceiveIdIn {
    Corp,
    Suite,
    Other(String),
}

/// The URL check with a structured `echostr`: any plaintext, any receive id.
#[derive(Arbitrary, Debug)]
struct EchostrIn {
    plaintext: String,
    random: [u8; 16],
    receive_id: ReceiveIdIn,
    timestamp: String,
    nonce: String,
    tamper_at: usize,
}

fn check_echostr(input: EchostrIn) {
    let receive_id = match input.receive_id {
        ReceiveIdIn::Corp => CORP_ID.to_owned(),
        ReceiveIdIn::Suite => SUITE_ID.to_owned(),
        ReceiveIdIn::Other(id) => id,
    };
    let crypt = MessageCrypt::new(key().clone(), receive_id.clone());
    let echostr = crypt.encrypt_with_random(input.random, &input.plaintext);
    let signature = callback_signature(TOKEN, &input.timestamp, &input.nonce, Some(&echostr));
    let open = |crypt: &MessageCrypt, signature: &str| {
        open_echostr(
            crypt,
            TOKEN,
            &input.timestamp,
            &input.nonce,
            signature,
            &echostr,
        )
    };
    assert_eq!(open(&crypt, &signature).as_ref(), Ok(&input.plaintext));
    assert_eq!(
        open(&crypt, &tampered(&signature, input.tamper_at)),
        Err(CryptoError::InvalidSignature)
    );
    assert_eq!(
        crypt.decrypt_any_receiver(&echostr),
        Ok((input.plaintext.clone(), receive_id.clone()))
    );
    if receive_id != OTHER_CORP_ID {
        assert!(is_receive_id_mismatch(&open(other_crypt(), &signature)));
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let text = std::str::from_utf8(rest);
    match mode % 8 {
        0 => {
            if let Ok(text) = text {
                check_raw_envelope(text);
            }
        }
        1 => {
            if let Ok(text) = text {
                check_sealed_plaintext(text);
            }
        }
        2 => {
            if let Ok(text) = text {
                check_raw_echostr(text);
            }
        }
        3 => {
            if let Ok(text) = text {
                check_raw_reply(text);
            }
        }
        4 => {
            if let Ok(input) = WorkCallbackIn::arbitrary_take_rest(Unstructured::new(rest)) {
                check_work_callback(input);
            }
        }
        5 => {
            if let Ok(input) = ReplyCaseIn::arbitrary_take_rest(Unstructured::new(rest)) {
                let reply = ReplyMessage {
                    to_user_name: input.to_user_name,
                    from_user_name: input.from_user_name,
                    create_time: input.create_time,
                    body: input.body.build(),
                };
                check_reply_message(&reply, &input.timestamp, &input.nonce, input.tamper_at);
            }
        }
        6 => {
            if let Ok(input) = EchostrIn::arbitrary_take_rest(Unstructured::new(rest)) {
                check_echostr(input);
            }
        }
        _ => check_raw_ciphertext(rest),
    }
});
