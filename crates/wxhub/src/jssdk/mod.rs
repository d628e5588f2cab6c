//! JS-SDK configuration: `GET /api/v1/jssdk/config?account=&url=` returns what a page
//! passes to `wx.config` (and `wx.agentConfig` for WeCom apps). Seeds 003 and 004.

pub mod routes;
pub mod service;

pub use routes::routes;

pub use service::{sign, AgentConfig, AllowedDomains, JssdkConfig, JssdkError};
