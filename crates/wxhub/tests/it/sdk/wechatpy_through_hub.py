"""wechatpy behind the hub, configured only with the hub's base URL and a caller's client id
and secret in place of AppID / AppSecret. Run by tests/it/proxy_sdk.rs:

    python3 wechatpy_through_hub.py HUB_BASE ACCOUNT CLIENT_ID CLIENT_SECRET

Everything else is wechatpy's own: its token fetch, its token cache, its refetch-and-retry on
40001/42001. Prints one line per check and exits non-zero on the first failure.
"""
import sys

from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

HUB, ACCOUNT, CLIENT_ID, CLIENT_SECRET = sys.argv[1:5]
BASE = f"{HUB}/wx/{ACCOUNT}"


class HubClient(WeChatClient):
    # An SDK pointed at another host changes these two, nothing else.
    API_BASE_URL = BASE + "/cgi-bin/"

    def fetch_access_token(self):
        return self._fetch_access_token(
            url=BASE + "/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


def check(name, ok):
    print(("ok   " if ok else "FAIL ") + name, flush=True)
    if not ok:
        sys.exit(1)


client = HubClient(CLIENT_ID, CLIENT_SECRET, timeout=10)
res = client.fetch_access_token()
check("the token call answers in WeChat's shape", res["expires_in"] == 7200 and res["access_token"].startswith("wxp_"))
check("wechatpy keeps the hub's token", client.access_token == res["access_token"])

ips = client.misc.get_wechat_ips()
check("a call with the hub's token reaches WeChat", isinstance(ips, list) and len(ips) > 0)

tag = client.tag.create("vip")
check("a JSON POST goes through", tag["name"] == "vip")

# A token the hub no longer knows (expired, or never issued): 40001, and wechatpy's own retry
# fetches a new one and repeats the call.
client.session.set(client.access_token_key, "wxp_not_a_token_the_hub_issued")
ips = client.misc.get_wechat_ips()
check("after 40001 wechatpy refetches and the call succeeds", len(ips) > 0)
check("with a new hub token", client.access_token.startswith("wxp_") and client.access_token != "wxp_not_a_token_the_hub_issued")

try:
    HubClient(CLIENT_ID, "wrong-secret", timeout=10).fetch_access_token()
    check("a wrong secret is refused", False)
except WeChatClientException as e:
    check("a wrong secret is refused with 40125", e.errcode == 40125)

print("all wechatpy checks passed")
