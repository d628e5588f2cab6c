//! The signatures WeChat uses around callbacks, the JS-SDK and WeChat Pay v2.

use std::collections::BTreeMap;

use md5::{Digest as _, Md5};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// The callback signature: hex SHA-1 over the byte-wise sorted concatenation of token,
/// timestamp, nonce and, in encrypted mode (`msg_signature`) or for WeCom's `echostr`, the
/// ciphertext.
pub fn callback_signature(
    token: &str,
    timestamp: &str,
    nonce: &str,
    encrypted: Option<&str>,
) -> String {
    hex::encode(callback_digest(token, timestamp, nonce, encrypted))
}

/// Checks a callback signature in constant time. Accepts upper- or lower-case hex.
pub fn verify_callback_signature(
    token: &str,
    timestamp: &str,
    nonce: &str,
    encrypted: Option<&str>,
    signature: &str,
) -> bool {
    let Ok(given) = hex::decode(signature.trim()) else {
        return false;
    };
    let expected = callback_digest(token, timestamp, nonce, encrypted);
    given.len() == expected.len() && bool::from(expected.as_slice().ct_eq(&given))
}

fn callback_digest(token: &str, timestamp: &str, nonce: &str, encrypted: Option<&str>) -> [u8; 20] {
    let mut parts = [token, timestamp, nonce, encrypted.unwrap_or("")];
    let parts = match encrypted {
        Some(_) => &mut parts[..],
        None => &mut parts[..3],
    };
    parts.sort_unstable();
    let mut hasher = Sha1::new();
    for part in parts.iter() {
        hasher.update(part.as_bytes());
    }
    hasher.finalize().into()
}

/// The JS-SDK signature (Official Accounts and WeCom alike): hex SHA-1 of
/// `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`, values raw (not URL-escaped), `url`
/// without its `#fragment`.
pub fn jssdk_signature(ticket: &str, noncestr: &str, timestamp: &str, url: &str) -> String {
    let url = url.split('#').next().unwrap_or(url);
    let mut hasher = Sha1::new();
    for (i, (name, value)) in [
        ("jsapi_ticket=", ticket),
        ("noncestr=", noncestr),
        ("timestamp=", timestamp),
        ("url=", url),
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            hasher.update(b"&");
        }
        hasher.update(name.as_bytes());
        hasher.update(value.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Checks a JS-SDK signature in constant time.
pub fn verify_jssdk_signature(
    ticket: &str,
    noncestr: &str,
    timestamp: &str,
    url: &str,
    signature: &str,
) -> bool {
    constant_time_hex_eq(
        &jssdk_signature(ticket, noncestr, timestamp, url),
        signature,
    )
}

/// The WeChat Pay v2 MD5 signature: parameters sorted by name, empty values and `sign`
/// itself skipped, joined as `k=v&…&key=API_KEY`, MD5, upper-case hex.
pub fn pay_md5_sign(params: &BTreeMap<String, String>, api_key: &str) -> String {
    let mut hasher = Md5::new();
    for (name, value) in params {
        if value.is_empty() || name == "sign" {
            continue;
        }
        hasher.update(name.as_bytes());
        hasher.update(b"=");
        hasher.update(value.as_bytes());
        hasher.update(b"&");
    }
    hasher.update(b"key=");
    hasher.update(api_key.as_bytes());
    hex::encode_upper(hasher.finalize())
}

/// Checks a WeChat Pay v2 MD5 signature (the `sign` in `params` is ignored when signing).
pub fn verify_pay_md5_sign(params: &BTreeMap<String, String>, api_key: &str, sign: &str) -> bool {
    constant_time_hex_eq(&pay_md5_sign(params, api_key), sign)
}

fn constant_time_hex_eq(expected: &str, given: &str) -> bool {
    let given = given.trim().to_ascii_lowercase();
    let expected = expected.to_ascii_lowercase();
    given.len() == expected.len() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_signature_matches_wechatpy_echostr_vector() {
        // wechatpy/wechatpy tests/test_crypto.py, test_check_signature_should_ok (WeCom URL check).
        let echostr =
            "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==";
        assert_eq!(
            callback_signature("123456", "1411443780", "437374425", Some(echostr)),
            "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96"
        );
        assert!(verify_callback_signature(
            "123456",
            "1411443780",
            "437374425",
            Some(echostr),
            "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96"
        ));
        // test_check_signature_should_fail: one digit of the nonce changed.
        assert!(!verify_callback_signature(
            "123456",
            "1411443780",
            "437374424",
            Some(echostr),
            "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96"
        ));
    }

    #[test]
    fn plain_callback_signature_sorts_three_parts() {
        let expected = {
            let mut parts = ["tok", "1409735669", "1320562132"];
            parts.sort();
            hex::encode(Sha1::digest(parts.concat()))
        };
        assert_eq!(
            callback_signature("tok", "1409735669", "1320562132", None),
            expected
        );
        assert!(verify_callback_signature(
            "tok",
            "1409735669",
            "1320562132",
            None,
            &expected
        ));
        assert!(verify_callback_signature(
            "tok",
            "1409735669",
            "1320562132",
            None,
            &expected.to_uppercase()
        ));
    }

    #[test]
    fn verify_refuses_garbage_signatures() {
        for bad in [
            "",
            "zz",
            "dd6b",
            "dd6b9c95b495b3f7e2901bfbc76c664930ffdb9600",
            "\u{e9}",
        ] {
            assert!(
                !verify_callback_signature("t", "1", "2", None, bad),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn jssdk_signature_matches_wechat_documentation_vector() {
        // WeChat JS-SDK documentation, appendix 1 (signature algorithm), reproduced in e.g.
        // kinisky564477/wechat wx/*_test.go TestJsTicketSignature.
        let sig = jssdk_signature(
            "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
            "Wm3WZYTPz0wzccnW",
            "1414587457",
            "http://mp.weixin.qq.com?params=value",
        );
        assert_eq!(sig, "0f9de62fce790f9a083d5c99e95740ceb90c27ed");
        assert!(verify_jssdk_signature(
            "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
            "Wm3WZYTPz0wzccnW",
            "1414587457",
            "http://mp.weixin.qq.com?params=value#section",
            &sig
        ));
    }

    #[test]
    fn pay_md5_sign_matches_wechat_pay_documentation_vector() {
        // WeChat Pay v2 signature rules (签名算法) example, reproduced in
        // liuyanliang2015/springMVC WebContent/doc/sign.md.
        let mut params: BTreeMap<String, String> = [
            ("appid", "wxd930ea5d5a258f4f"),
            ("mch_id", "10000100"),
            ("device_info", "1000"),
            ("body", "test"),
            ("nonce_str", "ibuaiVcKdpRxkhJA"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let key = "192006250b4c09247ec02edce69f6a2d";
        assert_eq!(
            pay_md5_sign(&params, key),
            "9A0A8659F005D6984697E2CA0A9CF3B7"
        );
        // Empty values and an existing sign are skipped.
        params.insert("attach".into(), String::new());
        params.insert("sign".into(), "9A0A8659F005D6984697E2CA0A9CF3B7".into());
        assert_eq!(
            pay_md5_sign(&params, key),
            "9A0A8659F005D6984697E2CA0A9CF3B7"
        );
        assert!(verify_pay_md5_sign(
            &params,
            key,
            "9a0a8659f005d6984697e2ca0a9cf3b7"
        ));
        assert!(!verify_pay_md5_sign(
            &params,
            "other",
            "9A0A8659F005D6984697E2CA0A9CF3B7"
        ));
    }
}
