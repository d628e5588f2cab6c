// node wechat-api behind the hub, configured only with the hub's base URL and a caller's
// client id and secret in place of AppID / AppSecret. Run by tests/it/proxy_sdk.rs:
//
//     node wechat_api_through_hub.js HUB_BASE ACCOUNT CLIENT_ID CLIENT_SECRET
//
// Everything else is wechat-api's own: its token fetch, its token store, its expiry.
'use strict';
const API = require('wechat-api');

const [hub, account, clientId, clientSecret] = process.argv.slice(2);

function check(name, ok) {
  console.log((ok ? 'ok   ' : 'FAIL ') + name);
  if (!ok) process.exit(1);
}

function call(api, method, ...args) {
  return new Promise((resolve, reject) =>
    api[method](...args, (err, data) => (err ? reject(err) : resolve(data))));
}

async function main() {
  let stored = null;
  const api = new API(clientId, clientSecret,
    (cb) => cb(null, stored),
    (token, cb) => { stored = token; cb(null); });
  // The one line that points an SDK at another host.
  api.endpoint = `${hub}/wx/${account}`;

  const ips = await call(api, 'getIp');
  check('a call fetches a hub token with the caller credentials and reaches WeChat',
    Array.isArray(ips.ip_list) && ips.ip_list.length > 0);
  check('the token wechat-api keeps is the hub\'s', stored && stored.accessToken.startsWith('wxp_'));

  const tag = await call(api, 'createTag', 'vip');
  check('a JSON POST goes through', tag.tag && tag.tag.name === 'vip');

  // Its own expiry: a token it holds past its time is fetched anew.
  const old = stored.accessToken;
  stored.expireTime = Date.now() - 1000;
  await call(api, 'getIp');
  check('an expired token is fetched again', stored.accessToken !== old && stored.accessToken.startsWith('wxp_'));

  const wrong = new API(clientId, 'wrong-secret');
  wrong.endpoint = `${hub}/wx/${account}`;
  try {
    await call(wrong, 'getIp');
    check('a wrong secret is refused', false);
  } catch (err) {
    check('a wrong secret is refused with 40125', err.code === 40125);
  }
  console.log('all wechat-api checks passed');
}

main().catch((err) => { console.error(err); process.exit(1); });
