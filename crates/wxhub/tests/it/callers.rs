//! `/api/v1/callers` and `/api/v1/auth/token` over HTTP.

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_error, spawn_hub};

#[tokio::test]
async fn caller_trades_credentials_for_a_two_hour_bearer_token() {
    let hub = spawn_hub().await;
    hub.add_mp("shop-mp", "wxshop000001").await;
    let created = hub
        .client
        .post(
            "/api/v1/callers",
            json!({"system_id": "shop", "name": "Shop", "accounts": ["shop-mp"], "scopes": ["tokens", "qrcodes"], "qr_source": 7}),
            StatusCode::CREATED,
        )
        .await;
    let client_id = created["client_id"].as_str().expect("client_id");
    let client_secret = created["client_secret"].as_str().expect("client_secret");
    assert!(client_id.starts_with("cli_"));
    assert_eq!(created["caller"]["qr_source"], 7);
    assert_eq!(created["caller"]["scopes"], json!(["tokens", "qrcodes"]));

    // The secret is shown once: reading the caller back never returns it.
    let shown = hub
        .client
        .get(&format!("/api/v1/callers/{client_id}"), StatusCode::OK)
        .await;
    assert!(!shown.to_string().contains(client_secret));
    assert_eq!(shown["system_id"], "shop");

    let token = hub
        .anonymous()
        .post(
            "/api/v1/auth/token",
            json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 7200);
    let bearer = token["access_token"].as_str().expect("access_token");
    let me = hub
        .anonymous()
        .with_token(bearer)
        .get("/api/v1/auth/me", StatusCode::OK)
        .await;
    assert_eq!(me["admin"], false);
    assert_eq!(me["caller"]["system_id"], "shop");

    // Form-encoded, as seed 001's clients send it.
    let req = hub
        .anonymous()
        .builder(Method::POST, "/api/v1/auth/token")
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", client_secret),
        ]);
    let form_token = hub.anonymous().send(req, StatusCode::OK).await;
    assert_ne!(form_token["access_token"], token["access_token"]);
    // JSON labelled as a form (what `curl -d '{…}'` sends) is still read as JSON.
    let json_text = json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}).to_string();
    let req = hub
        .anonymous()
        .builder(Method::POST, "/api/v1/auth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(json_text);
    hub.anonymous().send(req, StatusCode::OK).await;

    // Just before two hours it still works (and is cached); just after, it does not, even
    // though it was cached a moment earlier.
    hub.clock.advance(Duration::seconds(7199));
    hub.anonymous()
        .with_token(bearer)
        .get("/api/v1/auth/me", StatusCode::OK)
        .await;
    hub.clock.advance(Duration::seconds(2));
    let body = hub
        .anonymous()
        .with_token(bearer)
        .get("/api/v1/auth/me", StatusCode::UNAUTHORIZED)
        .await;
    assert_error(&body, "invalid_token");
}

#[tokio::test]
async fn wrong_credentials_get_invalid_client() {
    let hub = spawn_hub().await;
    let (client_id, _) = hub
        .add_caller(json!({"system_id": "s1", "name": "S"}))
        .await;
    let anon = hub.anonymous();
    for (id, secret) in [
        (client_id.as_str(), "wxs_wrong"),
        ("cli_01aaaaaaaaaaaaaaaaaaaaaaaa", "wxs_wrong"),
        ("garbage", "x"),
    ] {
        let body = anon
            .post(
                "/api/v1/auth/token",
                json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret}),
                StatusCode::UNAUTHORIZED,
            )
            .await;
        assert_error(&body, "invalid_client");
    }
    let body = anon
        .post(
            "/api/v1/auth/token",
            json!({"grant_type": "password", "client_id": client_id, "client_secret": "x"}),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert_error(&body, "unsupported_grant_type");
    let body = anon
        .post(
            "/api/v1/auth/token",
            json!({"grant_type": "client_credentials"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(assert_error(&body, "invalid_field").contains("client_id"));
}

#[tokio::test]
async fn qr_source_is_unique_per_account() {
    let hub = spawn_hub().await;
    hub.add_mp("qa", "wxqa00000001").await;
    hub.add_mp("qb", "wxqb00000001").await;
    hub.add_caller(json!({"system_id": "one", "name": "One", "accounts": ["qa"], "qr_source": 5}))
        .await;
    let body = hub
        .client
        .post(
            "/api/v1/callers",
            json!({"system_id": "two", "name": "Two", "accounts": ["qa", "qb"], "qr_source": 5}),
            StatusCode::CONFLICT,
        )
        .await;
    assert_error(&body, "qr_source_taken");
    // The refused caller left nothing behind.
    let list = hub.client.get("/api/v1/callers", StatusCode::OK).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    // The same number on another account is fine.
    hub.add_caller(
        json!({"system_id": "three", "name": "Three", "accounts": ["qb"], "qr_source": 5}),
    )
    .await;
    for bad in [0, 32, -1] {
        let body = hub
            .client
            .post(
                "/api/v1/callers",
                json!({"system_id": "bad", "name": "B", "qr_source": bad}),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        assert!(assert_error(&body, "invalid_field").contains("qr_source"));
    }
}

#[tokio::test]
async fn caller_registration_is_validated() {
    let hub = spawn_hub().await;
    hub.add_caller(json!({"system_id": "taken", "name": "T"}))
        .await;
    let body = hub
        .client
        .post(
            "/api/v1/callers",
            json!({"system_id": "taken", "name": "T2"}),
            StatusCode::CONFLICT,
        )
        .await;
    assert_error(&body, "system_id_taken");
    let cases = [
        (
            json!({"system_id": "x", "name": "X", "accounts": ["ghost"]}),
            "ghost",
        ),
        (
            json!({"system_id": "x", "name": "X", "scopes": ["admin"]}),
            "scope",
        ),
        (json!({"system_id": "bad id", "name": "X"}), "system_id"),
        (json!({"system_id": "x", "name": ""}), "name"),
        (
            json!({"system_id": "x", "name": "X", "redirect_domains": ["https://a.com/x"]}),
            "redirect_domains",
        ),
        (
            json!({"system_id": "x", "name": "X", "rsa_public_key": "not pem"}),
            "rsa_public_key",
        ),
    ];
    for (body, needle) in cases {
        let answer = hub
            .client
            .post(
                "/api/v1/callers",
                body.clone(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        let message = assert_error(&answer, "invalid_field");
        assert!(message.contains(needle), "{body} → {message}");
    }
}

#[tokio::test]
async fn removed_caller_loses_access_at_once() {
    let hub = spawn_hub().await;
    let (id, secret) = hub
        .add_caller(json!({"system_id": "gone", "name": "Gone"}))
        .await;
    let caller = hub.caller_client(&id, &secret).await;
    caller.get("/api/v1/auth/me", StatusCode::OK).await;
    hub.client
        .delete(&format!("/api/v1/callers/{id}"), StatusCode::NO_CONTENT)
        .await;
    let body = caller
        .get("/api/v1/auth/me", StatusCode::UNAUTHORIZED)
        .await;
    assert_error(&body, "invalid_token");
    hub.client
        .delete(&format!("/api/v1/callers/{id}"), StatusCode::NOT_FOUND)
        .await;
    let body = hub
        .client
        .get("/api/v1/callers/not-an-id", StatusCode::NOT_FOUND)
        .await;
    assert_error(&body, "caller_not_found");
}

#[tokio::test]
async fn caller_routes_are_admin_only() {
    let hub = spawn_hub().await;
    let (id, secret) = hub
        .add_caller(json!({"system_id": "plain", "name": "P", "scopes": ["tokens"]}))
        .await;
    let caller = hub.caller_client(&id, &secret).await;
    let body = caller.get("/api/v1/callers", StatusCode::FORBIDDEN).await;
    assert_error(&body, "admin_required");
    caller
        .post(
            "/api/v1/callers",
            json!({"system_id": "x", "name": "X"}),
            StatusCode::FORBIDDEN,
        )
        .await;
    let me = hub.client.get("/api/v1/auth/me", StatusCode::OK).await;
    assert_eq!(me["admin"], true);
}

#[tokio::test]
async fn removing_an_account_revokes_grants_to_it() {
    let hub = spawn_hub().await;
    hub.add_mp("shared", "wxshared0001").await;
    let (id, _) = hub
        .add_caller(json!({"system_id": "g", "name": "G", "accounts": ["shared"]}))
        .await;
    hub.client
        .delete("/api/v1/accounts/shared", StatusCode::NO_CONTENT)
        .await;
    let caller = hub
        .client
        .get(&format!("/api/v1/callers/{id}"), StatusCode::OK)
        .await;
    assert_eq!(caller["accounts"], json!([]));
}
