#!/usr/bin/env python3
"""Writes the seeds of the `work_reply` fuzz target into seeds/work_reply/.

Each seed is one mode byte (see fuzz_targets/work_reply.rs) followed by its input. The
ciphertexts use the token, key and CorpID of WeCom's 加解密方案 documentation, as the target
does, with a fixed random prefix so the seeds are reproducible. Needs the `cryptography`
package. Run from fuzz/: `python3 gen_work_reply_seeds.py`.
"""

import base64
import hashlib
import os

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

TOKEN = "QDG6eK"
KEY = base64.b64decode("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C=")
CORP_ID = "wx5823bf96d3bd56c7"
TIMESTAMP = "1409659813"
NONCE = "1372623149"
RANDOM = bytes(range(16))
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "work_reply")


def encrypt(plaintext, receive_id=CORP_ID, block=32):
    msg = plaintext.encode()
    body = RANDOM + len(msg).to_bytes(4, "big") + msg + receive_id.encode()
    pad = block - len(body) % block
    body += bytes([pad]) * pad
    enc = Cipher(algorithms.AES(KEY), modes.CBC(KEY[:16])).encryptor()
    return enc.update(body) + enc.finalize()


def signature(*parts):
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


HEAD = (
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>"
    "<FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1403610513</CreateTime>"
    "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_contact]]></Event>"
)
EXT_ATTR = (
    "<ExtAttr><Item><Name><![CDATA[爱好]]></Name><Type>0</Type><Text><Value><![CDATA[旅游]]>"
    "</Value></Text></Item><Item><Name><![CDATA[卡号]]></Name><Type>1</Type><Web><Title>"
    "<![CDATA[企业微信]]></Title><Url><![CDATA[https://work.weixin.qq.com]]></Url></Web>"
    "</Item></ExtAttr>"
)
USER = (
    "<UserID><![CDATA[zhangsan]]></UserID>{new}<Name><![CDATA[张三]]></Name>"
    "<Department><![CDATA[1,2,3]]></Department><MainDepartment>1</MainDepartment>"
    "<IsLeaderInDept><![CDATA[1,0,0]]></IsLeaderInDept>"
    "<DirectLeader><![CDATA[lisi,wangwu]]></DirectLeader><Position><![CDATA[产品经理]]>"
    "</Position><Mobile>13800000000</Mobile><Gender>1</Gender>"
    "<Email><![CDATA[zhangsan@gzdev.com]]></Email><BizMail><![CDATA[zhangsan@qyycs2.wecom.work]]>"
    "</BizMail><Status>1</Status><Avatar><![CDATA[http://wx.qlogo.cn/mmopen/a/0]]></Avatar>"
    "<Alias><![CDATA[zhangsan]]></Alias><Telephone><![CDATA[020-123456]]></Telephone>"
    "<Address><![CDATA[广州市]]></Address>" + EXT_ATTR
)
APP = (
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>"
    "<FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1348831860</CreateTime>"
)

MESSAGES = {
    "create_user": HEAD + "<ChangeType>create_user</ChangeType>" + USER.format(new="") + "</xml>",
    "update_user": HEAD
    + "<ChangeType><![CDATA[update_user]]></ChangeType>"
    + USER.format(new="<NewUserID><![CDATA[zhangsan001]]></NewUserID>")
    + "</xml>",
    "delete_user": HEAD
    + "<ChangeType><![CDATA[delete_user]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID></xml>",
    "create_party": HEAD
    + "<ChangeType><![CDATA[create_party]]></ChangeType><Id>2</Id><Name><![CDATA[张三]]></Name>"
    "<ParentId><![CDATA[1]]></ParentId><Order>1</Order></xml>",
    "update_party": HEAD
    + "<ChangeType><![CDATA[update_party]]></ChangeType><Id>2</Id><Name><![CDATA[张三]]></Name>"
    "<ParentId><![CDATA[1]]></ParentId></xml>",
    "delete_party": HEAD + "<ChangeType><![CDATA[delete_party]]></ChangeType><Id>2</Id></xml>",
    "update_tag": HEAD
    + "<ChangeType><![CDATA[update_tag]]></ChangeType><TagId>1</TagId>"
    "<AddUserItems><![CDATA[zhangsan,lisi]]></AddUserItems><DelUserItems><![CDATA[zhangsan1]]>"
    "</DelUserItems><AddPartyItems><![CDATA[1,2]]></AddPartyItems><DelPartyItems><![CDATA[3]]>"
    "</DelPartyItems></xml>",
    "unknown_change": HEAD
    + "<ChangeType><![CDATA[create_tag]]></ChangeType><TagId>9</TagId></xml>",
    "enter_agent": APP
    + "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[enter_agent]]></Event>"
    "<EventKey><![CDATA[]]></EventKey><AgentID>1</AgentID></xml>",
    "batch_job_result": APP
    + "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[batch_job_result]]></Event>"
    "<BatchJob><JobId><![CDATA[S0MrnndvRG5fadSlLwiBqiDDbM143UqTmKP3152FZk4]]></JobId>"
    "<JobType><![CDATA[sync_user]]></JobType><ErrCode>0</ErrCode><ErrMsg><![CDATA[ok]]></ErrMsg>"
    "</BatchJob></xml>",
    "click": APP
    + "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[click]]></Event>"
    "<EventKey><![CDATA[EVENTKEY]]></EventKey><AgentID>1</AgentID></xml>",
    "text": APP
    + "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[this is a test]]></Content>"
    "<MsgId>1234567890123456</MsgId><AgentID>1000002</AgentID></xml>",
    "location": APP
    + "<MsgType><![CDATA[location]]></MsgType><Location_X>23.134521</Location_X>"
    "<Location_Y>113.358803</Location_Y><Scale>20</Scale><Label><![CDATA[位置信息]]></Label>"
    "<MsgId>1234567890123456</MsgId><AgentID>1</AgentID></xml>",
}

REPLY_HEAD = (
    "<xml><ToUserName><![CDATA[zhangsan]]></ToUserName>"
    "<FromUserName><![CDATA[wx5823bf96d3bd56c7]]></FromUserName><CreateTime>1348831860</CreateTime>"
)
ITEM = (
    "<item><Title><![CDATA[title]]></Title><Description><![CDATA[description]]></Description>"
    "<PicUrl><![CDATA[picurl]]></PicUrl><Url><![CDATA[url]]></Url></item>"
)
REPLIES = {
    "text": "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content>",
    "image": "<MsgType><![CDATA[image]]></MsgType><Image><MediaId><![CDATA[media_id]]></MediaId></Image>",
    "voice": "<MsgType><![CDATA[voice]]></MsgType><Voice><MediaId><![CDATA[media_id]]></MediaId></Voice>",
    "video": "<MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[media_id]]></MediaId>"
    "<Title><![CDATA[title]]></Title><Description><![CDATA[description]]></Description></Video>",
    "music": "<MsgType><![CDATA[music]]></MsgType><Music><Title><![CDATA[TITLE]]></Title>"
    "<Description><![CDATA[DESCRIPTION]]></Description><MusicUrl><![CDATA[MUSIC_Url]]></MusicUrl>"
    "<HQMusicUrl><![CDATA[HQ_MUSIC_Url]]></HQMusicUrl><ThumbMediaId><![CDATA[media_id]]>"
    "</ThumbMediaId></Music>",
    "news": "<MsgType><![CDATA[news]]></MsgType><ArticleCount>2</ArticleCount><Articles>"
    + ITEM * 2
    + "</Articles>",
}


def envelope(ciphertext_b64, agent_id="1"):
    return (
        "<xml><ToUserName><![CDATA[%s]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt>"
        "<AgentID><![CDATA[%s]]></AgentID></xml>" % (CORP_ID, ciphertext_b64, agent_id)
    )


def sealed_reply(xml):
    ciphertext = base64.b64encode(encrypt(xml)).decode()
    return (
        "<xml><Encrypt><![CDATA[%s]]></Encrypt><MsgSignature><![CDATA[%s]]></MsgSignature>"
        "<TimeStamp>%s</TimeStamp><Nonce><![CDATA[%s]]></Nonce></xml>"
        % (ciphertext, signature(TOKEN, TIMESTAMP, NONCE, ciphertext), TIMESTAMP, NONCE)
    )


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {}
    for name, xml in MESSAGES.items():
        seeds["plain_" + name] = b"\x01" + xml.encode()
    for name in ["create_user", "update_tag", "delete_party", "text", "batch_job_result"]:
        b64 = base64.b64encode(encrypt(MESSAGES[name])).decode()
        seeds["envelope_" + name] = b"\x00" + envelope(b64).encode()
    # Padded to 16-byte blocks, as some other implementations do; and another corp's.
    b64 = base64.b64encode(encrypt(MESSAGES["enter_agent"], block=16)).decode()
    seeds["envelope_pad16"] = b"\x00" + envelope(b64).encode()
    b64 = base64.b64encode(encrypt(MESSAGES["click"], receive_id="ww0000000000000000")).decode()
    seeds["envelope_other_corp"] = b"\x00" + envelope(b64).encode()
    # WeCom's documented URL-check echostr, and one of our own.
    seeds["echostr_doc"] = (
        b"\x02P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
    )
    seeds["echostr_own"] = b"\x02" + base64.b64encode(encrypt("1616140317555161061"))
    for name, body in REPLIES.items():
        xml = REPLY_HEAD + body + "</xml>"
        seeds["reply_" + name] = b"\x03" + xml.encode()
    seeds["reply_sealed_news"] = (
        b"\x03" + sealed_reply(REPLY_HEAD + REPLIES["news"] + "</xml>").encode()
    )
    # Structured modes: a little entropy for `arbitrary` to start from.
    for mode in (4, 5, 6):
        seeds["structured_%d" % mode] = bytes([mode]) + hashlib.sha256(b"%d" % mode).digest() * 2
    seeds["ciphertext_text"] = b"\x07" + encrypt(MESSAGES["text"])
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(len(seeds), "seeds in", OUT)


if __name__ == "__main__":
    main()
