//! A code's image: rendered here from the `url` WeChat answered (what WeChat's own
//! `showqrcode` image encodes), so showing it costs no second call to WeChat, and kept in a
//! bounded in-process cache, so a page shown often is rendered once.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::model::QrCodeId;

/// Pixels per module, and the quiet zone in modules (the QR standard asks for four).
const SCALE: usize = 8;
const QUIET: usize = 4;

/// Images kept at most (a code's PNG is a few KiB).
pub const CACHE_CAPACITY: usize = 1024;

/// `data` as a black-on-white 8-bit greyscale PNG QR code; `None` when it does not fit a QR
/// code (WeChat's urls always do).
pub fn render_png(data: &str) -> Option<Vec<u8>> {
    let code = qrcode::QrCode::new(data.as_bytes()).ok()?;
    let width = code.width();
    let side = (width + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (x, y) = (i % width + QUIET, i / width + QUIET);
        for dy in 0..SCALE {
            let row = (y * SCALE + dy) * side;
            pixels[row + x * SCALE..row + (x + 1) * SCALE].fill(0);
        }
    }
    let side = u32::try_from(side).ok()?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().ok()?;
    writer.write_image_data(&pixels).ok()?;
    writer.finish().ok()?;
    Some(out)
}

/// A rendered image and when its code stops scanning.
#[derive(Debug, Clone)]
pub struct CachedImage {
    pub png: Arc<Vec<u8>>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// At most [`CACHE_CAPACITY`] images; the oldest goes first. Cheap to clone.
#[derive(Clone, Default)]
pub struct ImageCache(Arc<Mutex<Slots>>);

#[derive(Default)]
struct Slots {
    images: HashMap<QrCodeId, CachedImage>,
    order: VecDeque<QrCodeId>,
}

impl ImageCache {
    pub fn get(&self, id: &QrCodeId) -> Option<CachedImage> {
        self.lock().images.get(id).cloned()
    }

    pub fn put(&self, id: QrCodeId, image: CachedImage) {
        let mut slots = self.lock();
        if slots.images.insert(id.clone(), image).is_none() {
            slots.order.push_back(id);
        }
        while slots.order.len() > CACHE_CAPACITY {
            if let Some(oldest) = slots.order.pop_front() {
                slots.images.remove(&oldest);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.lock().images.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_is_rendered_the_same_every_time() {
        let a = render_png("http://weixin.qq.com/q/abc").expect("png");
        assert!(a.starts_with(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a]));
        assert_eq!(Some(a), render_png("http://weixin.qq.com/q/abc"));
    }

    #[test]
    fn the_cache_is_bounded_and_drops_the_oldest() {
        let cache = ImageCache::default();
        let first = QrCodeId::generate();
        let image = CachedImage {
            png: Arc::new(vec![1]),
            expires_at: None,
        };
        cache.put(first.clone(), image.clone());
        for _ in 0..CACHE_CAPACITY {
            cache.put(QrCodeId::generate(), image.clone());
        }
        assert_eq!(cache.len(), CACHE_CAPACITY);
        assert!(cache.get(&first).is_none(), "the oldest went first");
    }
}
