//! The decode budget: one per process, shared by everything that turns a photo
//! into pixels (uploads, the live photo check, thumbnails, the workers' stylizing), so peak
//! memory stays bounded however many photos arrive at once.
//!
//! Before decoding, a caller reads the photo's header (`atelier_engine::probe`: cheap, no
//! pixels), weighs the decode with [`DecodeBudget::cost`] and takes that many bytes from a
//! weighted semaphore; it gives them back when the pixels and everything made from them
//! are dropped. A request waits at most `limits.decode_wait` for room, then gets 503
//! `busy` with `Retry-After`; a worker just waits. One photo larger than the whole budget
//! takes all of it, so it runs alone rather than never.
//!
//! Size (`limits.decode_memory_mib`; 0 chooses it): a quarter of the memory this process may
//! use (the smaller of physical memory and the cgroup limit), but never less than one photo
//! at the upload caps. The server's peak memory is then about its idle size + this budget +
//! the upload bodies being received (each at most `uploads.max_bytes`, held twice while
//! the multipart form is parsed).

use std::sync::Arc;
use std::time::Duration;

use atelier_engine::Header;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Bytes a decode needs for each pixel beyond the decoder's own buffer: the 8-bit RGB copy
/// (3), an upright copy when EXIF rotates it (3), and the face detector's and encoders'
/// working buffers (about 3 more at most, the PNG output of a noisy photo included).
const WORKING_BYTES_PER_PIXEL: u64 = 9;

/// Stylizing on this machine (the engine back-end) keeps several float planes of the photo
/// at once; an estimate on the safe side.
const STYLIZE_BYTES_PER_PIXEL: u64 = 32;

/// The semaphore counts KiB, so a budget of terabytes still fits its `u32` permits.
const UNIT: u64 = 1024;

/// Room for decodes, in bytes of memory.
pub struct DecodeBudget {
    permits: Arc<Semaphore>,
    total_units: u32,
    wait: Duration,
}

/// What [`DecodeBudget::acquire`] holds until dropped.
pub type DecodePermit = OwnedSemaphorePermit;

/// No room came free in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    /// When to try again.
    pub retry_after: Duration,
}

impl DecodeBudget {
    /// A budget of `bytes` (at least 1 MiB); requests wait at most `wait` for room.
    pub fn new(bytes: u64, wait: Duration) -> DecodeBudget {
        let units = (bytes / UNIT).clamp(1024, u64::from(u32::MAX >> 4));
        let total_units = u32::try_from(units).unwrap_or(u32::MAX >> 4);
        DecodeBudget {
            permits: Arc::new(Semaphore::new(total_units as usize)),
            total_units,
            wait,
        }
    }

    /// The budget from `[limits]`: `decode_memory_mib`, or when 0, a quarter of the memory
    /// this process may use and at least one photo at the caps (`max_pixels`, `max_bytes`).
    pub fn from_config(
        configured_mib: u64,
        wait: Duration,
        max_pixels: u64,
        max_bytes: usize,
    ) -> DecodeBudget {
        let bytes = if configured_mib > 0 {
            configured_mib.saturating_mul(1 << 20)
        } else {
            auto_size(max_pixels, max_bytes, usable_memory())
        };
        DecodeBudget::new(bytes, wait)
    }

    /// The budget in bytes.
    pub fn total_bytes(&self) -> u64 {
        u64::from(self.total_units) * UNIT
    }

    /// What decoding a photo with `header`, sent as `file_bytes`, costs: the decoder's
    /// buffer, the working copies per pixel, and the file itself.
    pub fn cost(header: &Header, file_bytes: usize) -> u64 {
        header
            .decoded_bytes
            .saturating_add(header.pixels().saturating_mul(WORKING_BYTES_PER_PIXEL))
            .saturating_add(file_bytes as u64)
    }

    /// What stylizing a photo with `header` on this machine costs, decoding included.
    pub fn stylize_cost(header: &Header, file_bytes: usize) -> u64 {
        DecodeBudget::cost(header, file_bytes)
            .saturating_add(header.pixels().saturating_mul(STYLIZE_BYTES_PER_PIXEL))
    }

    /// The cost of the largest photo the caps allow (16-bit RGBA from the decoder).
    pub fn largest_cost(max_pixels: u64, max_bytes: usize) -> u64 {
        max_pixels
            .saturating_mul(8 + WORKING_BYTES_PER_PIXEL)
            .saturating_add(max_bytes as u64)
    }

    fn units(&self, bytes: u64) -> u32 {
        let units = bytes.div_ceil(UNIT).clamp(1, u64::from(self.total_units));
        u32::try_from(units).unwrap_or(self.total_units)
    }

    /// Room for `bytes`, waiting at most the configured time; `Busy` when none came free.
    pub async fn acquire(&self, bytes: u64) -> Result<DecodePermit, Busy> {
        let units = self.units(bytes);
        let permits = self.permits.clone();
        match tokio::time::timeout(self.wait, permits.acquire_many_owned(units)).await {
            Ok(Ok(permit)) => Ok(permit),
            // The semaphore is never closed; a timeout is the only real refusal.
            Ok(Err(_)) | Err(_) => {
                metrics::counter!("atelier_decode_budget_busy_total").increment(1);
                Err(Busy {
                    retry_after: self.wait.max(Duration::from_secs(1)),
                })
            }
        }
    }

    /// Room for `bytes`, however long it takes (workers: their job just waits its turn).
    pub async fn acquire_waiting(&self, bytes: u64) -> Option<DecodePermit> {
        let units = self.units(bytes);
        self.permits.clone().acquire_many_owned(units).await.ok()
    }
}

/// A quarter of `usable` memory, and at least the largest photo the caps allow.
fn auto_size(max_pixels: u64, max_bytes: usize, usable: Option<u64>) -> u64 {
    let one_photo = DecodeBudget::largest_cost(max_pixels, max_bytes);
    // Without a reading (not Linux), assume a small 2 GiB server.
    let usable = usable.unwrap_or(2 << 30);
    (usable / 4).max(one_photo)
}

/// The memory this process may use: physical memory, lowered by a cgroup (container) limit.
fn usable_memory() -> Option<u64> {
    let physical = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| mem_total(&text));
    let cgroup = [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .find_map(|path| std::fs::read_to_string(path).ok())
    .and_then(|text| text.trim().parse::<u64>().ok());
    match (physical, cgroup) {
        (Some(p), Some(c)) => Some(p.min(c)),
        (p, c) => p.or(c),
    }
}

/// `MemTotal` of `/proc/meminfo`, in bytes.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

#[cfg(test)]
mod tests {
    use super::*;
    use atelier_engine::Format;

    fn header(width: u32, height: u32) -> Header {
        Header {
            format: Format::Jpeg,
            width,
            height,
            decoded_bytes: 3 * u64::from(width) * u64::from(height),
        }
    }

    #[test]
    fn the_automatic_size_is_a_quarter_of_memory_but_at_least_one_largest_photo() {
        let one = DecodeBudget::largest_cost(40_000_000, 20_000_000);

        assert_eq!(auto_size(40_000_000, 20_000_000, Some(64 << 30)), 16 << 30);
        assert_eq!(auto_size(40_000_000, 20_000_000, Some(1 << 30)), one);
        assert_eq!(one, 700_000_000);
    }

    #[test]
    fn mem_total_is_read_from_meminfo() {
        let meminfo = "MemTotal:       16318040 kB\nMemFree:         1000 kB\n";

        assert_eq!(mem_total(meminfo), Some(16_318_040 * 1024));
        assert_eq!(mem_total("nothing"), None);
    }

    #[test]
    fn a_36_megapixel_jpeg_weighs_its_buffers_and_its_file() {
        let cost = DecodeBudget::cost(&header(6000, 6000), 2_500_000);

        assert_eq!(cost, 36_000_000 * 12 + 2_500_000);
    }

    #[tokio::test]
    async fn a_full_budget_turns_callers_away_after_the_wait_and_frees_on_drop() {
        let budget = DecodeBudget::new(100 << 20, Duration::from_millis(50));

        let first = budget.acquire(60 << 20).await;
        let second = budget.acquire(60 << 20).await;
        drop(first);
        let third = budget.acquire(60 << 20).await;

        assert!(second.is_err());
        assert_eq!(
            second.err().map(|b| b.retry_after),
            Some(Duration::from_secs(1))
        );
        assert!(third.is_ok());
    }

    #[tokio::test]
    async fn a_photo_larger_than_the_budget_takes_all_of_it_and_runs_alone() {
        let budget = DecodeBudget::new(10 << 20, Duration::from_millis(50));

        let huge = budget.acquire(1 << 30).await;
        let small = budget.acquire(1 << 20).await;

        assert!(huge.is_ok());
        assert!(small.is_err());
    }
}
