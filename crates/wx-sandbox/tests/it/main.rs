//! Integration tests: the sandbox on an ephemeral port, driven over HTTP.

mod helpers;
mod token;
