//! QR codes end to end (issue 15, seed 000 §3.2–3.4): the hub asks the sandbox's
//! `qrcode/create` with the account's token, serves the code's PNG without a bearer, counts
//! the scans the sandbox's users make (through real callbacks) per code, and answers seed
//! 000's own JSONP route by bearer or by a publishable key from the key's page domains.

use chrono::{DateTime, Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use wxhub::core::clock::Clock;

use crate::callbacks::{mp_request, Rig};
use crate::helpers::{assert_error, TestClient};

const QRCODES: &str = "/api/v1/qrcodes";

/// A rig whose caller `shop` (QR source 7, the `qrcodes` and `events` scopes) uses the
/// account.
struct Qr {
    rig: Rig,
    shop: TestClient,
    shop_id: String,
}

impl Qr {
    async fn new() -> Qr {
        let rig = Rig::new("safe").await;
        let (shop_id, shop) = caller(&rig, "shop", 7).await;
        Qr { rig, shop, shop_id }
    }

    async fn temporary(&self, scene: Value) -> Value {
        self.shop
            .post(
                QRCODES,
                json!({"account": "demo-mp", "kind": "temporary", "scene": scene}),
                StatusCode::CREATED,
            )
            .await
    }

    async fn scan(&self, openid: &str, code: &Value) -> Value {
        self.rig
            .act(openid, "scan", json!({"ticket": code["ticket"]}))
            .await
    }

    async fn stats(&self, code: &Value) -> Value {
        self.shop
            .get(
                &format!("{QRCODES}/{}/stats", code["id"].as_str().expect("id")),
                StatusCode::OK,
            )
            .await
    }
}

/// A caller of the rig's account with `source`; (client_id, its client).
async fn caller(rig: &Rig, system_id: &str, source: i64) -> (String, TestClient) {
    let (id, secret) = rig
        .hub
        .add_caller(
            json!({"system_id": system_id, "name": system_id, "accounts": ["demo-mp"],
                           "scopes": ["qrcodes", "events"], "qr_source": source}),
        )
        .await;
    let client = rig.hub.caller_client(&id, &secret).await;
    (id, client)
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().expect("time"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

/// The text a PNG's QR code holds.
fn decode_qr(png_bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(png_bytes);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).expect("a frame");
    assert_eq!(frame.color_type, png::ColorType::Grayscale);
    let (w, h) = (frame.width as usize, frame.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().expect("decodes").1
}

#[tokio::test]
async fn temporary_codes_carry_the_callers_source_and_live_20_minutes() {
    let qr = Qr::new().await;
    let before = Utc::now();
    let numeric = qr.temporary(json!(12_345_678)).await;
    for field in ["id", "ticket", "url", "expires_at", "image_url"] {
        assert!(numeric[field].is_string(), "{field}: {numeric}");
    }
    assert!(numeric["id"].as_str().expect("id").starts_with("qr_"));
    assert_eq!(numeric["kind"], "temporary");
    assert_eq!(numeric["source"], 7);
    assert_eq!(numeric["scene_value"], "12345678");
    let lives = time(&numeric["expires_at"]) - before;
    assert!(
        (Duration::seconds(1_190)..=Duration::seconds(1_210)).contains(&lives),
        "20 minutes: {lives}"
    );
    let image = numeric["image_url"].as_str().expect("image_url");
    assert_eq!(
        image,
        format!(
            "http://{}/api/v1/qrcodes/{}.png",
            qr.rig.hub.addr,
            numeric["id"].as_str().expect("id")
        )
    );
    let text = qr.temporary(json!("order:42")).await;
    assert_eq!(text["scene_value"], "order:42");
    assert_ne!(text["ticket"], numeric["ticket"]);

    // A sandbox user scans each: the stored events decode back to the caller's source and
    // value at the top level, as seed 000's bus message has them.
    let openid = qr.rig.user().await;
    qr.scan(&openid, &numeric).await;
    qr.scan(&openid, &text).await;
    let events = qr.rig.events().await;
    let (scan, follow) = (&events[0].payload, &events[1].payload);
    assert_eq!(follow["type"], "subscribe");
    assert_eq!(follow["trigger"], "subscribe");
    assert_eq!(follow["source"], 7);
    assert_eq!(follow["srcvalue"], "12345678");
    assert_eq!(follow["ticket"], numeric["ticket"]);
    assert_eq!(scan["type"], "scan");
    assert_eq!(scan["trigger"], "scan");
    assert_eq!(scan["source"], 7);
    assert_eq!(scan["srcvalue"], "order:42");
    assert_eq!(scan["scancode"], "7:order:42");
}

#[tokio::test]
async fn out_of_range_scenes_and_expiries_are_refused_422() {
    let qr = Qr::new().await;
    let temporary = |extra: Value| {
        let mut body = json!({"account": "demo-mp", "kind": "temporary", "scene": 1});
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        body
    };
    let bad = [
        (temporary(json!({"scene": 0})), "scene"),
        (temporary(json!({"scene": 100_000_000})), "scene"),
        (temporary(json!({"scene": -3})), "scene"),
        (temporary(json!({"scene": 2.5})), "scene"),
        (temporary(json!({"scene": ""})), "scene"),
        (temporary(json!({"scene": "x".repeat(65)})), "scene"),
        (temporary(json!({"scene": "x".repeat(63)})), "at most 62"),
        (temporary(json!({"scene": null})), "scene"),
        (temporary(json!({"scene": [1]})), "scene"),
        (temporary(json!({"expire_seconds": 0})), "expire_seconds"),
        (
            temporary(json!({"expire_seconds": 1_801})),
            "expire_seconds",
        ),
        (
            temporary(json!({"expire_seconds": 2_592_000})),
            "expire_seconds",
        ),
        (temporary(json!({"expire_seconds": "60"})), "expire_seconds"),
        (temporary(json!({"scene_id": 5})), "scene_id"),
        (
            json!({"account": "demo-mp", "kind": "permanent", "scene_id": 0}),
            "scene_id",
        ),
        (
            json!({"account": "demo-mp", "kind": "permanent", "scene_id": 100_001}),
            "scene_id",
        ),
        (
            json!({"account": "demo-mp", "kind": "permanent"}),
            "scene_id",
        ),
        (
            json!({"account": "demo-mp", "kind": "permanent", "scene_id": 1, "scene": 1}),
            "scene",
        ),
        (
            json!({"account": "demo-mp", "kind": "forever", "scene_id": 1}),
            "kind",
        ),
        (temporary(json!({"colour": "red"})), "colour"),
    ];
    for (body, named) in bad {
        let refused = qr
            .shop
            .post(QRCODES, body.clone(), StatusCode::UNPROCESSABLE_ENTITY)
            .await;
        let message = assert_error(&refused, "invalid_field");
        assert!(message.contains(named), "{body}: {message}");
    }
    // The edges themselves are fine.
    for body in [
        temporary(json!({"scene": 1, "expire_seconds": 1})),
        temporary(json!({"scene": 99_999_999, "expire_seconds": 1_800})),
        temporary(json!({"scene": "x".repeat(62)})),
    ] {
        qr.shop.post(QRCODES, body, StatusCode::CREATED).await;
    }
    // Another caller's source, an account not granted, a missing scope.
    let refused = qr
        .shop
        .post(
            QRCODES,
            temporary(json!({"source": 8})),
            StatusCode::FORBIDDEN,
        )
        .await;
    assert_error(&refused, "qr_source_not_yours");
    let refused = qr
        .shop
        .post(
            QRCODES,
            temporary(json!({"account": "other-mp"})),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_error(&refused, "account_not_found");
    let (id, secret) = qr
        .rig
        .hub
        .add_caller(
            json!({"system_id": "events-only", "name": "e", "accounts": ["demo-mp"],
                           "scopes": ["events"], "qr_source": 9}),
        )
        .await;
    let no_scope = qr.rig.hub.caller_client(&id, &secret).await;
    let refused = no_scope
        .post(QRCODES, temporary(json!({})), StatusCode::FORBIDDEN)
        .await;
    assert_error(&refused, "scope_missing");
    // The admin has no source of its own: it names one.
    let admin = &qr.rig.hub.client;
    admin
        .post(
            QRCODES,
            temporary(json!({})),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let made = admin
        .post(
            QRCODES,
            temporary(json!({"source": 31})),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(made["source"], 31);
}

#[tokio::test]
async fn an_account_setting_allows_temporary_codes_up_to_30_days() {
    let qr = Qr::new().await;
    let settings = "/api/v1/accounts/demo-mp/qrcode-settings";
    let admin = &qr.rig.hub.client;
    assert_eq!(
        admin.get(settings, StatusCode::OK).await,
        json!({"max_expire_seconds": 1800})
    );
    let refused = qr.shop.get(settings, StatusCode::FORBIDDEN).await;
    assert_error(&refused, "admin_required");
    for bad in [
        json!({"max_expire_seconds": 0}),
        json!({"max_expire_seconds": 2_592_001}),
    ] {
        admin
            .patch(settings, bad, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    let month = json!({"max_expire_seconds": 2_592_000});
    assert_eq!(
        admin.patch(settings, month.clone(), StatusCode::OK).await,
        month
    );
    assert_eq!(
        admin.patch(settings, json!({}), StatusCode::OK).await,
        month,
        "left out, kept"
    );
    let before = Utc::now();
    let long = qr
        .shop
        .post(
            QRCODES,
            json!({"account": "demo-mp", "kind": "temporary", "scene": 5, "expire_seconds": 2_592_000}),
            StatusCode::CREATED,
        )
        .await;
    let lives = time(&long["expires_at"]) - before;
    assert!(lives > Duration::days(29), "{lives}");
    qr.shop
        .post(
            QRCODES,
            json!({"account": "demo-mp", "kind": "temporary", "scene": 5, "expire_seconds": 2_592_001}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_eq!(
        admin
            .patch(
                settings,
                json!({"max_expire_seconds": null}),
                StatusCode::OK
            )
            .await,
        json!({"max_expire_seconds": 1800}),
        "null goes back to seed 000's limit"
    );
    let unknown = admin
        .get(
            "/api/v1/accounts/ghost-mp/qrcode-settings",
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_error(&unknown, "account_not_found");
}

#[tokio::test]
async fn permanent_codes_need_a_grant_and_each_scene_id_has_one_owner() {
    let qr = Qr::new().await;
    let admin = &qr.rig.hub.client;
    let permanent = |id: u32| json!({"account": "demo-mp", "kind": "permanent", "scene_id": id});
    let refused = qr
        .shop
        .post(QRCODES, permanent(1), StatusCode::FORBIDDEN)
        .await;
    let message = assert_error(&refused, "permanent_qrcode_not_granted");
    assert!(message.contains("qrcode-grants"), "{message}");

    let grants = "/api/v1/accounts/demo-mp/qrcode-grants";
    let grant = |client: &str| format!("{grants}/{client}");
    qr.shop
        .send(
            qr.shop.builder(Method::PUT, &grant(&qr.shop_id)),
            StatusCode::FORBIDDEN,
        )
        .await;
    let granted = admin
        .send(
            admin.builder(Method::PUT, &grant(&qr.shop_id)),
            StatusCode::OK,
        )
        .await;
    assert_eq!(granted["client_id"], qr.shop_id.as_str());
    let listed = admin.get(grants, StatusCode::OK).await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));

    let first = qr
        .shop
        .post(QRCODES, permanent(100_000), StatusCode::CREATED)
        .await;
    assert_eq!(first["kind"], "permanent");
    assert_eq!(first["scene_id"], 100_000);
    assert_eq!(first["expires_at"], Value::Null);
    assert!(first.get("source").is_none(), "{first}");
    let again = qr
        .shop
        .post(QRCODES, permanent(100_000), StatusCode::OK)
        .await;
    assert_eq!(
        (&again["id"], &again["ticket"]),
        (&first["id"], &first["ticket"]),
        "reused"
    );

    // Another granted caller cannot have it.
    let (crm_id, crm) = caller(&qr.rig, "crm", 8).await;
    admin
        .send(admin.builder(Method::PUT, &grant(&crm_id)), StatusCode::OK)
        .await;
    let taken = crm
        .post(QRCODES, permanent(100_000), StatusCode::CONFLICT)
        .await;
    assert_error(&taken, "scene_id_taken");
    crm.post(QRCODES, permanent(2), StatusCode::CREATED).await;

    // Revoked: no new codes, and not the owned one either; the id stays the owner's.
    admin
        .delete(&grant(&qr.shop_id), StatusCode::NO_CONTENT)
        .await;
    admin
        .delete(&grant(&qr.shop_id), StatusCode::NOT_FOUND)
        .await;
    qr.shop
        .post(QRCODES, permanent(100_000), StatusCode::FORBIDDEN)
        .await;
    crm.post(QRCODES, permanent(100_000), StatusCode::CONFLICT)
        .await;

    // The admin owns no permanent codes; a caller of another account is no grantee.
    let refused = admin
        .post(QRCODES, permanent(3), StatusCode::FORBIDDEN)
        .await;
    assert_error(&refused, "caller_required");
    let missing = admin
        .send(
            admin.builder(Method::PUT, &grant("cli_01hzzzzzzzzzzzzzzzzzzzzzzz")),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_error(&missing, "caller_not_found");
}

#[tokio::test]
async fn the_image_is_a_png_of_the_codes_url_served_without_a_bearer() {
    let qr = Qr::new().await;
    let code = qr.temporary(json!("poster-1")).await;
    let anonymous = qr.rig.hub.anonymous();
    let path = format!("{QRCODES}/{}.png", code["id"].as_str().expect("id"));
    let response = anonymous
        .builder(Method::GET, &path)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/png");
    let png = response.bytes().await.expect("body");
    assert_eq!(decode_qr(&png), code["url"].as_str().expect("url"));
    // Rendered once, then cached: the same bytes.
    let again = anonymous
        .builder(Method::GET, &path)
        .send()
        .await
        .expect("sent");
    assert_eq!(again.bytes().await.expect("body"), png);
    // The sandbox's own showqrcode image of the ticket encodes the same url.
    let shown = reqwest::get(format!(
        "{}/cgi-bin/showqrcode?ticket={}",
        qr.rig.sandbox.base_url(),
        url::form_urlencoded::byte_serialize(code["ticket"].as_str().expect("ticket").as_bytes())
            .collect::<String>()
    ))
    .await
    .expect("sent");
    assert_eq!(
        decode_qr(&shown.bytes().await.expect("body")),
        decode_qr(&png)
    );

    for unknown in [
        format!("{QRCODES}/qr_00000000000000000000000000000000.png"),
        format!("{QRCODES}/{}", code["id"].as_str().expect("id")),
        format!("{QRCODES}/not-an-id.png"),
    ] {
        let body = anonymous.get(&unknown, StatusCode::NOT_FOUND).await;
        assert_error(&body, "qrcode_not_found");
    }
    qr.rig.hub.clock.advance(Duration::seconds(1_201));
    let gone = anonymous.get(&path, StatusCode::GONE).await;
    assert_error(&gone, "qrcode_expired");
}

#[tokio::test]
async fn scans_by_sandbox_users_are_counted_per_code() {
    let qr = Qr::new().await;
    let poster = qr.temporary(json!("poster")).await;
    let flyer = qr.temporary(json!(42)).await;
    let (a, b) = (qr.rig.user().await, qr.rig.user().await);
    qr.scan(&a, &poster).await; // follows
    qr.scan(&a, &poster).await; // already follows: SCAN
    qr.scan(&b, &poster).await; // follows
    qr.scan(&b, &flyer).await;
    let stats = qr.stats(&poster).await;
    let today = qr.rig.hub.clock.now().format("%Y-%m-%d").to_string();
    assert_eq!(
        stats,
        json!({"scans": 3, "new_follows": 2, "unique_users": 2,
               "by_day": [{"day": today, "scans": 3, "new_follows": 2, "unique_users": 2}]})
    );
    let flyer_stats = qr.stats(&flyer).await;
    assert_eq!(
        (&flyer_stats["scans"], &flyer_stats["new_follows"]),
        (&json!(1), &json!(0))
    );
    let fresh = qr.temporary(json!(43)).await;
    assert_eq!(
        qr.stats(&fresh).await,
        json!({"scans": 0, "new_follows": 0, "unique_users": 0, "by_day": []})
    );

    // Only the code's caller (or the admin) reads them.
    let (_, crm) = caller(&qr.rig, "crm", 8).await;
    let path = format!("{QRCODES}/{}/stats", poster["id"].as_str().expect("id"));
    assert_error(
        &crm.get(&path, StatusCode::NOT_FOUND).await,
        "qrcode_not_found",
    );
    assert_eq!(qr.rig.hub.client.get(&path, StatusCode::OK).await, stats);
    qr.rig
        .hub
        .anonymous()
        .get(&path, StatusCode::UNAUTHORIZED)
        .await;
}

#[tokio::test]
async fn a_scan_callback_retried_by_wechat_is_counted_once() {
    let qr = Qr::new().await;
    let code = qr.temporary(json!(77)).await;
    let ticket = code["ticket"].as_str().expect("ticket");
    let now = Utc::now().timestamp();
    let xml = format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[o_retry]]></FromUserName>\
         <CreateTime>{now}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>\
         <EventKey><![CDATA[qrscene_{}]]></EventKey><Ticket><![CDATA[{ticket}]]></Ticket></xml>",
        (7u32 << 27) | 77
    );
    for _ in 0..3 {
        let (query, body) = mp_request("safe", &xml, now, &qr.rig.appid);
        let response = qr
            .rig
            .hub
            .anonymous()
            .builder(Method::POST, &format!("/callback/demo-mp?{query}"))
            .body(body)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::OK);
    }
    let stats = qr.stats(&code).await;
    assert_eq!(
        (
            &stats["scans"],
            &stats["new_follows"],
            &stats["unique_users"]
        ),
        (&json!(1), &json!(1), &json!(1))
    );
    let follows: Vec<_> = qr
        .rig
        .events()
        .await
        .into_iter()
        .filter(|e| e.payload["openid"] == "o_retry")
        .collect();
    assert_eq!(follows.len(), 1, "stored once");
    assert_eq!(follows[0].payload["srcvalue"], "77");
}

#[tokio::test]
async fn seed_000s_route_answers_imgurl_or_jsonp_by_bearer() {
    let qr = Qr::new().await;
    let body = qr
        .shop
        .get("/sns/qrcode/7?scenestr=12345678", StatusCode::OK)
        .await;
    let urls = body["imgurl"].as_array().expect("imgurl");
    assert_eq!(urls.len(), 1);
    let url = urls[0].as_str().expect("url");
    let prefix = format!("http://{}/api/v1/qrcodes/qr_", qr.rig.hub.addr);
    assert!(url.starts_with(&prefix) && url.ends_with(".png"), "{url}");
    let png = reqwest::get(url)
        .await
        .expect("sent")
        .bytes()
        .await
        .expect("body");
    assert!(decode_qr(&png).starts_with("http://weixin.qq.com/q/"));

    for path in ["/sns/qrcode/7", "/sns/grcode/7"] {
        let response = qr
            .shop
            .builder(
                Method::GET,
                &format!("{path}?scenestr=abc&callback=jQuery.cb_1.$d"),
            )
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"],
            "application/javascript; charset=utf-8"
        );
        let text = response.text().await.expect("body");
        let json = text
            .strip_prefix("jQuery.cb_1.$d(")
            .and_then(|t| t.strip_suffix(");"))
            .unwrap_or_else(|| panic!("a call of the callback: {text}"));
        let parsed: Value = serde_json::from_str(json).expect("JSON inside");
        assert!(parsed["imgurl"][0]
            .as_str()
            .is_some_and(|u| u.ends_with(".png")));
    }
    for bad in [
        "alert(1)",
        "a..b",
        "1a",
        "a-b",
        "a%20b",
        "%3Cscript%3E",
        "x;y",
        "",
    ] {
        let refused = qr
            .shop
            .get(
                &format!("/sns/qrcode/7?scenestr=1&callback={bad}"),
                StatusCode::BAD_REQUEST,
            )
            .await;
        assert_error(&refused, "invalid_callback");
    }
    let refused = qr
        .shop
        .get("/sns/qrcode/8?scenestr=1", StatusCode::FORBIDDEN)
        .await;
    assert_error(&refused, "qr_source_not_yours");
    qr.shop
        .get("/sns/qrcode/7", StatusCode::UNPROCESSABLE_ENTITY)
        .await;
    qr.shop
        .get(
            "/sns/qrcode/99?scenestr=1",
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let anonymous = qr
        .rig
        .hub
        .anonymous()
        .get("/sns/qrcode/7?scenestr=1", StatusCode::UNAUTHORIZED)
        .await;
    assert_error(&anonymous, "unauthenticated");
}

#[tokio::test]
async fn a_publishable_key_works_only_for_its_callers_source_from_its_page_domains() {
    let qr = Qr::new().await;
    let keys = format!("{QRCODES}/keys");
    let created = qr
        .shop
        .post(
            &keys,
            json!({"domains": ["shop.example.com", "*.example.org"]}),
            StatusCode::CREATED,
        )
        .await;
    let key = created["key"].as_str().expect("key").to_owned();
    assert!(key.starts_with("wxpk_"));
    assert_eq!(created["client_id"], qr.shop_id.as_str());
    let listed = qr.shop.get(&keys, StatusCode::OK).await;
    assert_eq!(listed["items"][0]["id"], created["id"]);
    assert!(listed["items"][0].get("key").is_none(), "never shown again");

    let page = qr.rig.hub.anonymous();
    let ask = |source: u8, header: Option<(&'static str, &'static str)>, key: &str| {
        let mut req = page.builder(
            Method::GET,
            &format!("/sns/qrcode/{source}?scenestr=hello&callback=cb&key={key}"),
        );
        if let Some((name, value)) = header {
            req = req.header(name, value);
        }
        req
    };
    for allowed in [
        ("origin", "https://shop.example.com"),
        ("referer", "https://shop.example.com/landing?x=1"),
        ("origin", "http://m.example.org:8080"),
    ] {
        let js = page.send(ask(7, Some(allowed), &key), StatusCode::OK).await;
        assert!(
            js.as_str()
                .is_some_and(|t| t.starts_with("cb({\"imgurl\":[")),
            "{allowed:?}: {js}"
        );
    }
    for (source, header) in [
        (7, Some(("origin", "https://evil.example.com"))),
        (7, Some(("origin", "https://example.org"))),
        (7, Some(("referer", "https://shop.example.com.evil.net/"))),
        (7, Some(("origin", "null"))),
        (7, None),
        (8, Some(("origin", "https://shop.example.com"))),
    ] {
        let refused = page
            .send(ask(source, header, &key), StatusCode::FORBIDDEN)
            .await;
        assert_error(&refused, "key_refused");
    }
    let refused = page
        .send(
            ask(7, Some(("origin", "https://shop.example.com")), "wxpk_nope"),
            StatusCode::FORBIDDEN,
        )
        .await;
    assert_error(&refused, "key_refused");

    // A key needs a caller with a source, and is gone once deleted.
    let (id, secret) = qr
        .rig
        .hub
        .add_caller(
            json!({"system_id": "nosource", "name": "n", "accounts": ["demo-mp"],
                           "scopes": ["qrcodes"]}),
        )
        .await;
    let no_source = qr.rig.hub.caller_client(&id, &secret).await;
    let refused = no_source
        .post(
            &keys,
            json!({"domains": ["a.example.com"]}),
            StatusCode::FORBIDDEN,
        )
        .await;
    assert_error(&refused, "qr_source_missing");
    qr.shop
        .post(
            &keys,
            json!({"domains": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    qr.shop
        .delete(
            &format!("{keys}/{}", created["id"].as_str().expect("id")),
            StatusCode::NO_CONTENT,
        )
        .await;
    page.send(
        ask(7, Some(("origin", "https://shop.example.com")), &key),
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn wechats_refusal_is_passed_through_with_its_errcode() {
    let qr = Qr::new().await;
    qr.rig
        .driver
        .post(
            "/sandbox/faults",
            json!({"path": "/cgi-bin/qrcode/create", "errcode": 45009, "count": 1}),
            StatusCode::CREATED,
        )
        .await;
    let refused = qr
        .shop
        .post(
            QRCODES,
            json!({"account": "demo-mp", "kind": "temporary", "scene": 1}),
            StatusCode::BAD_GATEWAY,
        )
        .await;
    assert_error(&refused, "wechat_error");
    assert_eq!(refused["error"]["wechat"]["errcode"], 45009);
    // The fault was for one call: the next one is issued.
    qr.temporary(json!(1)).await;
}

#[tokio::test]
async fn a_creation_retried_with_its_idempotency_key_answers_the_same_code() {
    let qr = Qr::new().await;
    let body = json!({"account": "demo-mp", "kind": "temporary", "scene": "retry-me"});
    let create = || {
        qr.shop
            .builder(Method::POST, QRCODES)
            .header("idempotency-key", "qr-create-1")
            .json(&body)
    };
    let first = qr.shop.send(create(), StatusCode::CREATED).await;
    let replayed = create().send().await.expect("sent");
    assert_eq!(replayed.status(), StatusCode::CREATED);
    assert_eq!(replayed.headers()["idempotent-replayed"], "true");
    let again: Value = replayed.json().await.expect("json");
    assert_eq!(
        (&again["id"], &again["ticket"]),
        (&first["id"], &first["ticket"])
    );
}
