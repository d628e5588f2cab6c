//! Integration tests: the sandbox on an ephemeral port, driven over HTTP.

mod callbacks;
mod driver;
mod helpers;
mod mp;
mod oauth;
mod pay;
mod receiver;
mod sdk;
mod token;
mod work;
mod work_callbacks;
mod work_directory;
mod work_support;
