//! WeChat Pay v2 APIs at `api.mch.weixin.qq.com`: flat XML requests signed with the
//! merchant's API key (MD5, [`wx_protocol::signature::pay_md5_sign`]), XML answers whose
//! `return_code` / `result_code` / `err_code` are checked once, here.
//!
//! Not covered: the merchant certificate. WeChat requires TLS client authentication with the
//! merchant's certificate for `sendredpack` and `gethbinfo`; the shared [`WeChatClient`]
//! has none, so against the real host these calls need a client built with the merchant's
//! identity (the sandbox does not ask for one).

pub mod redpack;

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use wx_protocol::signature::pay_md5_sign;
use wx_protocol::xml::{parse_document, Element};

use super::client::WeChatClient;
use super::error::WeChatError;

/// WeChat Pay's host.
pub const PAY_API_BASE: &str = "https://api.mch.weixin.qq.com";

/// Why a pay call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayError {
    /// No usable HTTP answer.
    #[error(transparent)]
    Http(WeChatError),
    /// `return_code = FAIL`: the request itself was refused (signature, format).
    #[error("wechat pay refused the request: {return_msg}")]
    Refused { return_msg: String },
    /// `result_code = FAIL`: the business rule that failed (`NOTENOUGH`, `SYSTEMERROR`, …).
    #[error("wechat pay error {err_code}: {err_code_des}")]
    Failed {
        err_code: String,
        err_code_des: String,
    },
    /// An answer we could not read.
    #[error("unexpected answer from wechat pay: {0}")]
    Decode(String),
}

impl PayError {
    /// `SYSTEMERROR` / `PROCESSING`: the outcome is unknown; ask again with the same
    /// `mch_billno` (never a new one) or query it.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, Self::Failed { err_code, .. } if err_code == "SYSTEMERROR" || err_code == "PROCESSING")
    }
}

/// The request's fields as pay's flat string map (numbers written out, absent fields left
/// out), plus `nonce_str` and the `sign` over all of them.
pub fn signed_fields<R: Serialize>(
    request: &R,
    nonce_str: &str,
    mch_key: &str,
) -> Result<BTreeMap<String, String>, PayError> {
    let value = serde_json::to_value(request).map_err(|e| PayError::Decode(e.to_string()))?;
    let Value::Object(object) = value else {
        return Err(PayError::Decode("a pay request is a struct".into()));
    };
    let mut fields = BTreeMap::new();
    for (name, value) in object {
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s,
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::Array(_) | Value::Object(_) => {
                return Err(PayError::Decode(format!("{name}: pay fields are flat")))
            }
        };
        fields.insert(name, text);
    }
    fields.insert("nonce_str".into(), nonce_str.to_owned());
    let sign = pay_md5_sign(&fields, mch_key);
    fields.insert("sign".into(), sign);
    Ok(fields)
}

/// `<xml><name><![CDATA[value]]></name>…</xml>` (a `]]>` in a value split across sections).
pub fn to_xml(fields: &BTreeMap<String, String>) -> String {
    let mut xml = String::from("<xml>");
    for (name, value) in fields {
        xml.push('<');
        xml.push_str(name);
        xml.push_str("><![CDATA[");
        xml.push_str(&value.replace("]]>", "]]]]><![CDATA[>"));
        xml.push_str("]]></");
        xml.push_str(name);
        xml.push('>');
    }
    xml.push_str("</xml>");
    xml
}

/// Reads a pay answer: `return_code` and `result_code` must be `SUCCESS`, then the leaf
/// fields decode into `T` (all as strings; see [`redpack`] for numeric fields).
pub fn parse_answer<T: DeserializeOwned>(xml: &str) -> Result<T, PayError> {
    let root = parse_document(xml).map_err(|e| PayError::Decode(e.to_string()))?;
    let text = |name: &str| root.child_text(name).unwrap_or_default().to_owned();
    if text("return_code") != "SUCCESS" {
        return Err(PayError::Refused {
            return_msg: text("return_msg"),
        });
    }
    if text("result_code") != "SUCCESS" {
        return Err(PayError::Failed {
            err_code: text("err_code"),
            err_code_des: text("err_code_des"),
        });
    }
    serde_json::from_value(element_value(&root)).map_err(|e| PayError::Decode(e.to_string()))
}

/// An element tree as JSON: leaves are strings, parents objects (a repeated child becomes
/// an array).
fn element_value(element: &Element) -> Value {
    if element.children.is_empty() {
        return Value::String(element.text.clone());
    }
    let mut object = serde_json::Map::new();
    for child in &element.children {
        let value = element_value(child);
        match object.get_mut(&child.name) {
            Some(Value::Array(items)) => items.push(value),
            Some(first) => {
                let first = first.take();
                object.insert(child.name.clone(), Value::Array(vec![first, value]));
            }
            None => {
                object.insert(child.name.clone(), value);
            }
        }
    }
    Value::Object(object)
}

/// Signs `request`, posts it to `path` and reads the answer.
pub async fn post<R: Serialize, T: DeserializeOwned>(
    client: &WeChatClient,
    pay_base: &str,
    path: &str,
    mch_key: &str,
    request: &R,
) -> Result<T, PayError> {
    let nonce: String = {
        use rand::distributions::{Alphanumeric, DistString};
        Alphanumeric.sample_string(&mut rand::thread_rng(), 32)
    };
    let xml = to_xml(&signed_fields(request, &nonce, mch_key)?);
    let answer = client
        .post_xml(pay_base, path, xml)
        .await
        .map_err(PayError::Http)?;
    parse_answer(&answer)
}
