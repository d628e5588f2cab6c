//! WeChat Pay v2 APIs at `api.mch.weixin.qq.com`.
