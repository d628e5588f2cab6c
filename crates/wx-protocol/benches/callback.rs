//! `cargo bench -p wx-protocol`: the per-callback cost of the protocol work in the hub.
//!
//! (a) `inbound_text`: verify `msg_signature` + decrypt + parse of a realistic safe-mode
//!     text-message callback (envelope parse included).
//! (b) `reply_news`: build a two-article news reply + serialise + encrypt + sign + envelope.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use wx_protocol::{
    Article, EncodingAesKey, EncryptedReply, EncryptedRequest, InboundBody, InboundMessage,
    MessageCrypt, MsgId, NewsArticles, Reply, ReplyMessage,
};

const TOKEN: &str = "spamtest";
const TIMESTAMP: &str = "1409735669";
const NONCE: &str = "1320562132";

fn crypt() -> MessageCrypt {
    MessageCrypt::new(
        EncodingAesKey::parse("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG").expect("sample key"),
        "wx2c2769f8efd9abc2",
    )
}

fn inbound_text() -> InboundMessage {
    InboundMessage {
        to_user_name: "gh_10f6c3c3ac5a".into(),
        from_user_name: "oyORnuP8q7ou2gfYjqLzSIWZf0rs".into(),
        create_time: 1409735668,
        agent_id: None,
        body: InboundBody::Text {
            content: "你好，我想查询一下订单 20241123-0042 的物流状态，谢谢".into(),
            msg_id: MsgId(6054768590064713728),
        },
    }
}

fn bench_inbound(c: &mut Criterion) {
    let crypt = crypt();
    let (request, signature) = EncryptedRequest::seal(
        &crypt,
        TOKEN,
        "gh_10f6c3c3ac5a",
        None,
        &inbound_text().to_xml(),
        TIMESTAMP,
        NONCE,
    );
    let body = request.to_xml();

    c.bench_function("inbound_text: verify + decrypt + parse", |b| {
        b.iter(|| {
            let request = EncryptedRequest::parse(black_box(&body)).expect("envelope");
            let plaintext = request
                .open(&crypt, TOKEN, TIMESTAMP, NONCE, black_box(&signature))
                .expect("open");
            InboundMessage::parse(&plaintext).expect("message")
        })
    });

    // The three steps on their own, to see where the time goes.
    c.bench_function("inbound_text step: envelope parse", |b| {
        b.iter(|| EncryptedRequest::parse(black_box(&body)).expect("envelope"))
    });
    c.bench_function("inbound_text step: verify signature", |b| {
        b.iter(|| {
            wx_protocol::verify_callback_signature(
                TOKEN,
                TIMESTAMP,
                NONCE,
                Some(black_box(&request.encrypt)),
                black_box(&signature),
            )
        })
    });
    c.bench_function("inbound_text step: decrypt", |b| {
        b.iter(|| crypt.decrypt(black_box(&request.encrypt)).expect("decrypt"))
    });
    let plaintext = inbound_text().to_xml();
    c.bench_function("inbound_text step: message parse", |b| {
        b.iter(|| InboundMessage::parse(black_box(&plaintext)).expect("message"))
    });
}

fn bench_reply(c: &mut Criterion) {
    let crypt = crypt();
    c.bench_function("reply_news: build + encrypt + sign (2 articles)", |b| {
        b.iter(|| {
            let articles = NewsArticles::new(vec![
                Article {
                    title: "双十一订单物流查询".into(),
                    description: "点击查看您的订单物流详情".into(),
                    pic_url: "https://example.com/img/logistics.png".into(),
                    url: "https://example.com/orders/20241123-0042".into(),
                },
                Article {
                    title: "会员积分兑换".into(),
                    description: "本月积分即将到期，立即兑换".into(),
                    pic_url: "https://example.com/img/points.png".into(),
                    url: "https://example.com/points".into(),
                },
            ])
            .expect("two articles");
            let reply = ReplyMessage {
                to_user_name: "oyORnuP8q7ou2gfYjqLzSIWZf0rs".into(),
                from_user_name: "gh_10f6c3c3ac5a".into(),
                create_time: 1409735669,
                body: Reply::News(articles),
            };
            EncryptedReply::seal(&crypt, TOKEN, &reply.to_xml(), TIMESTAMP, NONCE).to_xml()
        })
    });
}

criterion_group!(benches, bench_inbound, bench_reply);
criterion_main!(benches);
