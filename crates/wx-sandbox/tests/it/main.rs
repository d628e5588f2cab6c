//! Integration tests: the sandbox on an ephemeral port, driven over HTTP.

mod callbacks;
mod helpers;
mod receiver;
mod token;
