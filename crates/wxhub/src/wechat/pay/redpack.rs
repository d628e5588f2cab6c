//! Cash red packets (现金红包): `mmpaymkttransfers/sendredpack` and the query
//! `mmpaymkttransfers/gethbinfo`. Amounts are integer fen. `mch_billno` is the merchant's
//! dedup id: a retry after an unknown outcome reuses it.

use serde::{Deserialize, Deserializer, Serialize};

use super::{post, PayError};
use crate::wechat::client::WeChatClient;

/// `sendredpack`'s fields (`nonce_str` and `sign` are added when sending).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendRedpack {
    /// At most 28 letters and digits, unique per merchant.
    pub mch_billno: String,
    pub mch_id: String,
    /// The Official Account the receiver follows.
    pub wxappid: String,
    pub send_name: String,
    pub re_openid: String,
    /// Fen.
    pub total_amount: u64,
    /// Always 1 for a cash red packet.
    pub total_num: u32,
    pub wishing: String,
    pub client_ip: String,
    pub act_name: String,
    pub remark: String,
    /// `PRODUCT_1` … `PRODUCT_8`; required above 200 yuan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scene_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_info: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RedpackSent {
    pub mch_billno: String,
    pub mch_id: String,
    pub wxappid: String,
    pub re_openid: String,
    #[serde(deserialize_with = "number")]
    pub total_amount: u64,
    /// WeChat's id of the red packet.
    pub send_listid: String,
}

/// `gethbinfo`'s fields: `{"mch_billno", "mch_id", "appid", "bill_type": "MCHT"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GetRedpackInfo {
    pub mch_billno: String,
    pub mch_id: String,
    pub appid: String,
    pub bill_type: &'static str,
}

impl GetRedpackInfo {
    pub fn new(
        mch_id: impl Into<String>,
        appid: impl Into<String>,
        mch_billno: impl Into<String>,
    ) -> Self {
        Self {
            mch_billno: mch_billno.into(),
            mch_id: mch_id.into(),
            appid: appid.into(),
            bill_type: "MCHT",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RedpackInfo {
    pub mch_billno: String,
    pub mch_id: String,
    pub detail_id: String,
    /// `SENDING`, `SENT`, `FAILED`, `RECEIVED`, `RFUND_ING`, `REFUND`.
    pub status: String,
    pub send_type: String,
    pub hb_type: String,
    #[serde(deserialize_with = "number")]
    pub total_num: u64,
    #[serde(deserialize_with = "number")]
    pub total_amount: u64,
    #[serde(default)]
    pub reason: Option<String>,
    pub send_time: String,
    #[serde(default)]
    pub refund_time: Option<String>,
    #[serde(default, deserialize_with = "opt_number")]
    pub refund_amount: Option<u64>,
    #[serde(default)]
    pub wishing: String,
    #[serde(default)]
    pub remark: String,
    #[serde(default)]
    pub act_name: String,
    #[serde(default)]
    pub hblist: Option<HbList>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HbList {
    #[serde(default, deserialize_with = "one_or_many")]
    pub hbinfo: Vec<HbInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HbInfo {
    pub openid: String,
    #[serde(deserialize_with = "number")]
    pub amount: u64,
    pub rcv_time: String,
}

/// Sends one cash red packet.
pub async fn send(
    client: &WeChatClient,
    pay_base: &str,
    mch_key: &str,
    request: &SendRedpack,
) -> Result<RedpackSent, PayError> {
    post(
        client,
        pay_base,
        "mmpaymkttransfers/sendredpack",
        mch_key,
        request,
    )
    .await
}

/// Queries a red packet by its `mch_billno`.
pub async fn info(
    client: &WeChatClient,
    pay_base: &str,
    mch_key: &str,
    request: &GetRedpackInfo,
) -> Result<RedpackInfo, PayError> {
    post(
        client,
        pay_base,
        "mmpaymkttransfers/gethbinfo",
        mch_key,
        request,
    )
    .await
}

fn number<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let s = String::deserialize(d)?;
    s.trim().parse().map_err(serde::de::Error::custom)
}

fn opt_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let s = String::deserialize(d)?;
    if s.trim().is_empty() {
        return Ok(None);
    }
    s.trim().parse().map(Some).map_err(serde::de::Error::custom)
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<HbInfo>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(HbInfo),
        Many(Vec<HbInfo>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use wx_protocol::signature::verify_pay_md5_sign;

    use super::super::{parse_answer, signed_fields, to_xml};
    use super::*;

    fn request() -> SendRedpack {
        SendRedpack {
            mch_billno: "0010010404201411170000046545".into(),
            mch_id: "1900000109".into(),
            wxappid: "wxbe3ee9a5b3ea0e9b".into(),
            send_name: "天虹百货".into(),
            re_openid: "oxTWIuGaIt6gTKsQRLau2M0yL16E".into(),
            total_amount: 1000,
            total_num: 1,
            wishing: "感谢您参加猜灯谜活动，祝您元宵节快乐！".into(),
            client_ip: "192.168.0.1".into(),
            act_name: "猜灯谜抢红包活动".into(),
            remark: "猜越多得越多，快来抢！".into(),
            scene_id: None,
            risk_info: None,
        }
    }

    #[test]
    fn a_request_is_signed_over_its_fields_and_the_nonce() {
        let fields = signed_fields(&request(), "nonce1", "key1").expect("fields");
        assert_eq!(fields["total_amount"], "1000");
        assert_eq!(fields["nonce_str"], "nonce1");
        assert!(
            !fields.contains_key("scene_id"),
            "absent fields are left out"
        );
        assert!(verify_pay_md5_sign(&fields, "key1", &fields["sign"]));
        let xml = to_xml(&fields);
        assert!(xml.starts_with("<xml><act_name><![CDATA[猜灯谜抢红包活动]]></act_name>"));
        let read: BTreeMap<String, String> = parse_answer(&format!(
            "<xml><return_code>SUCCESS</return_code><result_code>SUCCESS</result_code>{}",
            &xml[5..]
        ))
        .expect("round trip");
        assert_eq!(read["wishing"], request().wishing);
    }

    #[test]
    fn failures_keep_wechats_codes() {
        let refused = parse_answer::<RedpackSent>(
            "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[签名错误]]></return_msg></xml>",
        );
        assert_eq!(
            refused,
            Err(PayError::Refused {
                return_msg: "签名错误".into()
            })
        );
        let failed = parse_answer::<RedpackSent>(
            "<xml><return_code>SUCCESS</return_code><result_code>FAIL</result_code>\
             <err_code>SYSTEMERROR</err_code><err_code_des>请求已受理</err_code_des></xml>",
        )
        .expect_err("failed");
        assert!(failed.outcome_unknown());
    }

    /// WeChat's documented `gethbinfo` answer (the sandbox has no such endpoint).
    #[test]
    fn a_query_answer_decodes_with_its_receivers() {
        let xml = "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg>\
            <result_code><![CDATA[SUCCESS]]></result_code><err_code><![CDATA[SUCCESS]]></err_code>\
            <err_code_des><![CDATA[OK]]></err_code_des><mch_billno><![CDATA[9010080799701411170000046603]]></mch_billno>\
            <mch_id><![CDATA[11475856]]></mch_id><detail_id><![CDATA[10000417012016080830956240040]]></detail_id>\
            <status><![CDATA[RECEIVED]]></status><send_type><![CDATA[ACTIVITY]]></send_type>\
            <hb_type><![CDATA[NORMAL]]></hb_type><total_num>1</total_num><total_amount>100</total_amount>\
            <send_time><![CDATA[2016-08-08 21:49:22]]></send_time><wishing><![CDATA[开开心心]]></wishing>\
            <remark><![CDATA[福利]]></remark><act_name><![CDATA[福利测试]]></act_name>\
            <hblist><hbinfo><openid><![CDATA[oTtHqt-lYl9dUGHdfTDB2TV3SUIs]]></openid><amount>100</amount>\
            <rcv_time><![CDATA[2016-08-08 21:49:46]]></rcv_time></hbinfo></hblist></xml>";
        let info: RedpackInfo = parse_answer(xml).expect("info");
        assert_eq!(info.status, "RECEIVED");
        assert_eq!(info.total_amount, 100);
        let received = info.hblist.expect("hblist").hbinfo;
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].amount, 100);
    }
}
