//! WeChat server simulator.
#![forbid(unsafe_code)]
