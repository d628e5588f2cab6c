#!/usr/bin/env python3
"""SDK conformance: drive the sandbox with wechatpy, an SDK written for real WeChat.

Usage: python3 wechatpy_conformance.py http://127.0.0.1:PORT

The only change to the SDK is where it points: each client's API base URL (and the few
URLs wechatpy hard-codes, such as the token endpoints) is set to the sandbox. Fixtures
(accounts, users, a WeCom directory, a merchant) are made through the sandbox's driver
API. Every check prints PASS or FAIL; the exit code is the number of failures (0 = all
passed).
"""

import sys
import traceback
import urllib.parse
import uuid

import requests
import wechatpy
from wechatpy import WeChatClient, WeChatOAuth
from wechatpy.enterprise import WeChatClient as WeComClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.pay import WeChatPay

BASE = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:9090"
RUN = uuid.uuid4().hex[:10]
APPID = "wxconf" + RUN
SECRET = "secret-" + RUN
CORPID = "wwconf" + RUN
CONTACTS_SECRET = "contacts-" + RUN
AGENTID = 1000002
APP_SECRET = "app-" + RUN
MCH_ID = "19" + str(int(RUN, 16) % 10**8).zfill(8)
API_KEY = "k" * 32
# Every request must finish quickly: the sandbox is local.
TIMEOUT = 10

RESULTS = []


def check(name):
    """Runs one conformance check, recording PASS or FAIL."""

    def wrap(fn):
        try:
            fn()
            RESULTS.append((name, True, ""))
            print("PASS", name, flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported, none hidden
            RESULTS.append((name, False, repr(e)))
            print("FAIL", name, "-", repr(e), flush=True)
            traceback.print_exc()
        return fn

    return wrap


def driver(method, path, body=None, status=None):
    r = requests.request(method, BASE + path, json=body, timeout=TIMEOUT)
    if status is not None and r.status_code != status:
        raise AssertionError("%s %s -> %s %s" % (method, path, r.status_code, r.text))
    return r.json() if r.content else None


def expect_errcode(code, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except WeChatClientException as e:
        assert e.errcode == code, "errcode %s, want %s (%s)" % (e.errcode, code, e.errmsg)
        return e
    raise AssertionError("no error, want errcode %s" % code)


def sandbox_url(url):
    """Rewrites one of WeChat's hosts in a URL the SDK built to the sandbox."""
    p = urllib.parse.urlsplit(url)
    b = urllib.parse.urlsplit(BASE)
    return urllib.parse.urlunsplit((b.scheme, b.netloc, p.path, p.query, ""))


class MpClient(WeChatClient):
    API_BASE_URL = BASE + "/cgi-bin/"

    def fetch_access_token(self):
        return self._fetch_access_token(
            url=BASE + "/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


class WorkClient(WeComClient):
    API_BASE_URL = BASE + "/cgi-bin/"

    def fetch_access_token(self):
        return self._fetch_access_token(
            url=BASE + "/cgi-bin/gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
        )


class OAuth(WeChatOAuth):
    API_BASE_URL = BASE + "/"
    OAUTH_BASE_URL = BASE + "/connect/"


class Pay(WeChatPay):
    API_BASE_URL = BASE + "/"


def consent(authorize_url, **who):
    """Plays the user in the OAuth page: consents as `who`, returns the code."""
    sep = "&" if "?" in authorize_url else "?"
    url = sandbox_url(authorize_url.split("#")[0]) + sep + urllib.parse.urlencode(who)
    r = requests.get(url, allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 302, (r.status_code, r.text[:300])
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["Location"]).query)
    return q["code"][0], q.get("state", [""])[0]


# ---------------------------------------------------------------- fixtures (driver API)

driver("POST", "/sandbox/mp/accounts", {"appid": APPID, "secret": SECRET, "token": "t"}, 201)
seeded = driver("POST", "/sandbox/mp/accounts/%s/users/seed" % APPID, {"count": 3, "follow": True}, 201)
OPENID = seeded["first_openid"]
OPENID_LAST = seeded["last_openid"]
stranger = driver("POST", "/sandbox/mp/accounts/%s/users" % APPID, {"nickname": "路人"}, 201)["openid"]
# A message from the user opens the 48-hour customer-service window.
driver("POST", "/sandbox/mp/accounts/%s/users/%s/messages" % (APPID, OPENID), {"type": "text", "content": "hi"}, 200)

driver("POST", "/sandbox/work/corps", {"corpid": CORPID, "contacts_secret": CONTACTS_SECRET}, 201)
driver("POST", "/sandbox/work/corps/%s/apps" % CORPID, {"agentid": AGENTID, "secret": APP_SECRET}, 201)
driver("POST", "/sandbox/work/corps/%s/departments" % CORPID, {"id": 2, "name": "研发部", "parentid": 1}, 201)
driver("POST", "/sandbox/work/corps/%s/departments" % CORPID, {"id": 3, "name": "后端组", "parentid": 2}, 201)
driver("POST", "/sandbox/work/corps/%s/members" % CORPID, {"userid": "zhangsan", "name": "张三", "department": [2]}, 201)
driver("POST", "/sandbox/work/corps/%s/members" % CORPID, {"userid": "lisi", "name": "李四", "department": [3]}, 201)

driver("POST", "/sandbox/pay/merchants", {"mch_id": MCH_ID, "api_key": API_KEY, "appid": APPID}, 201)

mp = MpClient(APPID, SECRET, timeout=TIMEOUT)
work_app = WorkClient(CORPID, APP_SECRET, timeout=TIMEOUT)
work_contacts = WorkClient(CORPID, CONTACTS_SECRET, timeout=TIMEOUT)

# ---------------------------------------------------------------- Official Account


@check("mp token: fetch_access_token")
def _():
    res = mp.fetch_access_token()
    assert res["expires_in"] == 7200 and len(res["access_token"]) > 32
    assert mp.access_token == res["access_token"]


@check("mp token: wrong secret raises 40125")
def _():
    expect_errcode(40125, MpClient(APPID, "wrong", timeout=TIMEOUT).fetch_access_token)


@check("mp token: expired token is refetched and the call retried (42001)")
def _():
    old = mp.access_token
    driver("POST", "/sandbox/clock/advance", {"seconds": 7200}, 200)
    ips = mp.misc.get_wechat_ips()
    assert ips and mp.access_token != old


@check("mp misc.get_wechat_ips")
def _():
    assert isinstance(mp.misc.get_wechat_ips(), list)


@check("mp jsapi.get_jsapi_ticket + get_jsapi_signature")
def _():
    ticket = mp.jsapi.get_jsapi_ticket()
    assert ticket == mp.jsapi.get_jsapi_ticket()
    sig = mp.jsapi.get_jsapi_signature("noncestr", ticket, 1700000000, "https://example.com/p")
    assert len(sig) == 40


@check("mp qrcode.create (QR_SCENE, QR_STR_SCENE, QR_LIMIT_SCENE, QR_LIMIT_STR_SCENE) + get_url PNG")
def _():
    t1 = mp.qrcode.create({"expire_seconds": 1800, "action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 123}}})
    assert t1["expire_seconds"] == 1800 and t1["url"]
    mp.qrcode.create({"expire_seconds": 600, "action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": "abc"}}})
    mp.qrcode.create({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100000}}})
    t4 = mp.qrcode.create({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "perm"}}})
    png = requests.get(sandbox_url(mp.qrcode.get_url(t4)), timeout=TIMEOUT)
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"


@check("mp qrcode.create: QR_LIMIT_SCENE over 100000 is refused")
def _():
    try:
        mp.qrcode.create({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100001}}})
    except WeChatClientException as e:
        assert e.errcode != 0
        return
    raise AssertionError("accepted scene_id 100001")


MENU = {
    "button": [
        {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC"},
        {"name": "菜单", "sub_button": [{"type": "view", "name": "搜索", "url": "https://www.example.com/"}]},
    ]
}


@check("mp menu.create / get / delete")
def _():
    mp.menu.create(MENU)
    got = mp.menu.get()
    assert got["menu"]["button"][0]["name"] == "今日歌曲"
    mp.menu.delete()
    assert mp.menu.get() is None  # wechatpy maps errcode 46003 (menu no exist) to None


@check("mp menu.create: four buttons raise 40016")
def _():
    expect_errcode(40016, mp.menu.create, {"button": [MENU["button"][0]] * 4})


@check("mp user.get_followers / iter_followers / get / get_batch / update_remark")
def _():
    f = mp.user.get_followers()
    assert f["total"] == 3 and f["count"] == 3, f
    assert OPENID in f["data"]["openid"]
    assert len(list(mp.user.iter_followers())) == 3
    u = mp.user.get(OPENID)
    assert u["subscribe"] == 1 and u["openid"] == OPENID
    batch = mp.user.get_batch([OPENID, OPENID_LAST])
    assert len(batch) == 2
    mp.user.update_remark(OPENID, "VIP")
    assert mp.user.get(OPENID)["remark"] == "VIP"


@check("mp tag.create / get / tag_user / get_tag_users / get_user_tag / untag_user / update / delete")
def _():
    tid = mp.tag.create("客户")["id"]
    assert any(t["id"] == tid for t in mp.tag.get())
    mp.tag.tag_user(tid, [OPENID, OPENID_LAST])
    users = mp.tag.get_tag_users(tid)
    assert set(users["data"]["openid"]) == {OPENID, OPENID_LAST}
    assert tid in mp.tag.get_user_tag(OPENID)
    mp.tag.untag_user(tid, OPENID_LAST)
    assert mp.tag.get_tag_users(tid)["count"] == 1
    mp.tag.update(tid, "老客户")
    mp.tag.delete(tid)
    assert all(t["id"] != tid for t in mp.tag.get())


@check("mp message.send_text / send_articles (custom, in the 48-hour window)")
def _():
    mp.message.send_text(OPENID, "您好")
    mp.message.send_articles(OPENID, [{"title": "t", "description": "d", "url": "https://example.com", "image": ""}])
    inbox = driver("GET", "/sandbox/mp/accounts/%s/users/%s/inbox" % (APPID, OPENID), status=200)["items"]
    assert any(i["kind"] == "custom" for i in inbox), inbox


@check("mp message.send_text outside the window raises 45015")
def _():
    expect_errcode(45015, mp.message.send_text, OPENID_LAST, "hi")


@check("mp template set_industry / get_industry / get / get_all_private_template / send_template")
def _():
    mp.template.set_industry(1, 4)
    mp.template.get_industry()
    tid = driver("POST", "/sandbox/mp/accounts/%s/templates" % APPID,
                 {"title": "订单通知", "content": "{{first.DATA}} {{keyword1.DATA}}"}, 201)["template_id"]
    assert any(t["template_id"] == tid for t in mp.template.get_all_private_template()["template_list"])
    res = mp.message.send_template(OPENID, tid, {"first": {"value": "你好"}, "keyword1": {"value": "1"}})
    assert res["msgid"]
    expect_errcode(43004, mp.message.send_template, stranger, tid, {"first": {"value": "x"}})


@check("mp message.send_mass_text to all")
def _():
    res = mp.message.send_mass_text(None, "群发", is_to_all=True)
    assert res["msg_id"]


@check("mp media.upload + download")
def _():
    import io
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    res = mp.media.upload("image", ("a.png", io.BytesIO(png), "image/png"))
    media_id = res["media_id"]
    got = mp.get(BASE + "/cgi-bin/media/get", params={"media_id": media_id})
    assert getattr(got, "content", b"")[:8] == png[:8]


@check("mp oauth (WeChatOAuth): authorize_url, fetch_access_token, get_user_info, refresh, check")
def _():
    oauth = OAuth(APPID, SECRET, "https://app.example.com/cb", scope="snsapi_userinfo", state="s1")
    code, state = consent(oauth.authorize_url, openid=OPENID)
    assert state == "s1"
    res = oauth.fetch_access_token(code)
    assert res["openid"] == OPENID and oauth.open_id == OPENID
    info = oauth.get_user_info()
    assert info["openid"] == OPENID and "nickname" in info
    assert oauth.check_access_token()
    refreshed = oauth.refresh_access_token(res["refresh_token"])
    assert refreshed["access_token"] != res["access_token"]
    expect_errcode(40163, oauth.fetch_access_token, code)


@check("pay redpack.send (signed XML) lands in the inbox; repeat billno is idempotent")
def _():
    pay = Pay(APPID, API_KEY, MCH_ID, timeout=TIMEOUT)
    billno = MCH_ID + "20240101" + RUN[:10].upper()
    billno = "".join(c for c in billno if c.isalnum())[:28]
    kw = dict(client_ip="127.0.0.1", out_trade_no=billno)
    res = pay.redpack.send(OPENID, 188, "商户", "活动", "恭喜发财", "备注", **kw)
    assert res["result_code"] == "SUCCESS" and res["send_listid"], res
    again = pay.redpack.send(OPENID, 188, "商户", "活动", "恭喜发财", "备注", **kw)
    assert again["send_listid"] == res["send_listid"]
    inbox = driver("GET", "/sandbox/mp/accounts/%s/users/%s/inbox" % (APPID, OPENID), status=200)["items"]
    assert sum(1 for i in inbox if i["kind"] == "redpack") == 1


@check("pay redpack.send: amount under 1 yuan raises MONEY_LIMIT")
def _():
    from wechatpy.exceptions import WeChatPayException
    pay = Pay(APPID, API_KEY, MCH_ID, timeout=TIMEOUT)
    try:
        pay.redpack.send(OPENID, 50, "商户", "活动", "恭喜发财", "备注", client_ip="127.0.0.1")
    except WeChatPayException as e:
        assert e.errcode == "MONEY_LIMIT", e.errcode
        return
    raise AssertionError("accepted 50 fen")


# ---------------------------------------------------------------- WeCom


@check("wecom token: fetch_access_token (app secret and contacts secret)")
def _():
    a = work_app.fetch_access_token()
    c = work_contacts.fetch_access_token()
    assert a["expires_in"] == 7200 and a["access_token"] != c["access_token"]


@check("wecom token: wrong secret raises 40001")
def _():
    expect_errcode(40001, WorkClient(CORPID, "wrong", timeout=TIMEOUT).fetch_access_token)


@check("wecom jsapi.get_ticket + agent_config ticket + get_jsapi_signature")
def _():
    t = work_app.jsapi.get_ticket()
    assert t["ticket"] and t["expires_in"] == 7200
    agent = work_app.get("ticket/get", params={"type": "agent_config"})
    assert agent["ticket"] != t["ticket"]
    assert len(work_app.jsapi.get_jsapi_signature("n", t["ticket"], 1700000000, "https://e.com")) == 40


@check("wecom misc.get_wechat_ips")
def _():
    assert work_app.misc.get_wechat_ips()


@check("wecom department.get / get_users(fetch_child) / user.list / user.get")
def _():
    deps = work_contacts.department.get()
    assert {d["id"] for d in deps} == {1, 2, 3}
    sub = work_contacts.department.get(2)
    assert [d["id"] for d in sub] == [2, 3]
    assert [u["userid"] for u in work_contacts.department.get_users(2)] == ["zhangsan"]
    nested = work_contacts.department.get_users(2, fetch_child=1)
    assert sorted(u["userid"] for u in nested) == ["lisi", "zhangsan"]
    full = work_contacts.user.list(1, fetch_child=True)
    assert len(full) == 2 and "mobile" in full[0]
    assert work_contacts.user.get("lisi")["name"] == "李四"
    expect_errcode(60111, work_contacts.user.get, "nobody")


@check("wecom tag.create / list / add_users (invalidlist) / get_users / delete_users")
def _():
    tid = work_contacts.tag.create("经理")["tagid"]
    assert any(t["tagid"] == tid for t in work_contacts.tag.list())
    res = work_contacts.tag.add_users(tid, ["zhangsan", "ghost"])
    assert res["invalidlist"] == "ghost"
    got = work_contacts.tag.get_users(tid)
    assert [u["userid"] for u in got["userlist"]] == ["zhangsan"]
    work_contacts.tag.delete_users(tid, ["zhangsan"])
    assert work_contacts.tag.get_users(tid)["userlist"] == []
    expect_errcode(40070, work_contacts.tag.add_users, tid, ["ghost"])


@check("wecom menu.create / get / delete (per agent)")
def _():
    work_app.menu.create(AGENTID, MENU)
    assert work_app.menu.get(AGENTID)["button"][0]["key"] == "V1001_TODAY_MUSIC"
    work_app.menu.delete(AGENTID)
    expect_errcode(46003, work_app.menu.get, AGENTID)


@check("wecom message.send_text / send_text_card / send_articles / send_mp_articles to user, party, tag, @all")
def _():
    r = work_app.message.send_text(AGENTID, ["zhangsan", "ghost"], "你好")
    assert r["invaliduser"] == "ghost"
    work_app.message.send_text_card(AGENTID, "@all", "领奖通知", "描述", "https://example.com")
    work_app.message.send_articles(AGENTID, "", [{"title": "t", "description": "d", "url": "https://example.com", "image": ""}], party_ids=["3"])
    work_app.message.send_mp_articles(AGENTID, "lisi", [{"thumb_media_id": "m", "author": "a", "content": "<p>c</p>", "content_source_url": "", "digest": "", "show_cover_pic": 0, "title": "t"}])
    inbox = driver("GET", "/sandbox/work/corps/%s/members/lisi/inbox" % CORPID, status=200)["items"]
    assert [i["message"]["msgtype"] for i in inbox] == ["textcard", "news", "mpnews"], inbox
    expect_errcode(81013, work_app.message.send_text, AGENTID, ["ghost"], "x")


@check("wecom oauth.authorize_url -> consent -> oauth.get_user_info (user/getuserinfo)")
def _():
    url = work_app.oauth.authorize_url("https://app.example.com/cb", state="w1")
    code, state = consent(url, userid="zhangsan")
    assert state == "w1"
    assert work_app.oauth.get_user_info(code)["UserId"] == "zhangsan"
    expect_errcode(40029, work_app.oauth.get_user_info, code)


# ---------------------------------------------------------------- summary

failed = [r for r in RESULTS if not r[1]]
print("wechatpy %s: %d passed, %d failed" % (wechatpy.__version__, len(RESULTS) - len(failed), len(failed)))
sys.exit(len(failed))
