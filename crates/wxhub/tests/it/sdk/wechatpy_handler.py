"""A business system's existing WeChat message handler, written with wechatpy as its docs show,
moved behind the hub by changing only its URL and Token. Run by tests/it/relay.rs:

    python3 wechatpy_handler.py RELAY_TOKEN

Prints the port it listens on, then serves until killed. It checks each request's signature
with wechatpy's own check_signature, parses the plaintext XML with parse_message and answers
with create_reply; a request whose signature does not verify gets 403.
"""
import http.server
import sys
from urllib.parse import parse_qs, urlparse

from wechatpy import create_reply, parse_message
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

TOKEN = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        query = parse_qs(urlparse(self.path).query)
        arg = lambda name: query.get(name, [""])[0]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            check_signature(TOKEN, arg("signature"), arg("timestamp"), arg("nonce"))
        except InvalidSignatureException:
            return self.answer(403, b"bad signature")
        message = parse_message(body)
        if message.source != arg("openid"):
            return self.answer(400, b"openid does not match the message")
        if message.type == "text":
            reply = create_reply("wechatpy says: " + message.content, message)
            return self.answer(200, reply.render().encode("utf-8"))
        return self.answer(200, b"success")

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
