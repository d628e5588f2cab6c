//! Integration tests: the sandbox on an ephemeral port, driven over HTTP.

mod callbacks;
mod driver;
mod helpers;
mod mp;
mod receiver;
mod token;
