//! Seeded procedural textures: white noise from an integer hash, smooth value noise and its
//! fractal sum, and the paper grain built from them. Pure functions of (position, seed), so
//! the same seed always draws the same paper, whatever the thread count.

use crate::raster::{Raster, smoothstep};

/// A well-mixed 32-bit hash of a lattice point and a seed (a murmur-style finaliser).
#[inline]
pub fn hash(x: u32, y: u32, seed: u32) -> u32 {
    let mut h =
        x.wrapping_mul(0x8da6_b343) ^ y.wrapping_mul(0xd816_3841) ^ seed.wrapping_mul(0xcb1a_b31f);
    h ^= h >> 16;
    h = h.wrapping_mul(0x7feb_352d);
    h ^= h >> 15;
    h = h.wrapping_mul(0x846c_a68b);
    h ^ (h >> 16)
}

/// Uniform white noise in 0..1 at an integer position.
#[inline]
pub fn white(x: u32, y: u32, seed: u32) -> f32 {
    (hash(x, y, seed) >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// Folds a 64-bit user seed and a per-texture salt into a 32-bit hash seed.
pub fn seed32(seed: u64, salt: u32) -> u32 {
    hash(seed as u32, (seed >> 32) as u32, salt)
}

/// A `w × h` plane of white noise in 0..1.
pub fn white_plane(w: usize, h: usize, seed: u32) -> Raster {
    Raster::from_rows(w, h, 1, |y, out| white_row(out, y, seed))
}

/// Smooth value noise in 0..1 with features about `scale` pixels wide: random values on a
/// coarse lattice (hashed once per lattice point), blended with a smoothstep.
pub fn value_noise(w: usize, h: usize, scale: f32, seed: u32) -> Raster {
    let scale = scale.max(1.0);
    let inv = 1.0 / scale;
    let lw = (w as f32 * inv) as usize + 2;
    let lh = (h as f32 * inv) as usize + 2;
    let lattice: Vec<f32> = (0..lw * lh)
        .map(|i| white((i % lw) as u32, (i / lw) as u32, seed))
        .collect();
    // Horizontal lattice cells and blend weights are the same for every row.
    let cols: Vec<(usize, f32)> = (0..w)
        .map(|x| {
            let fx = x as f32 * inv;
            let cx = fx.floor();
            ((cx as usize).min(lw - 2), smoothstep(0.0, 1.0, fx - cx))
        })
        .collect();
    Raster::from_rows(w, h, 1, |y, out| {
        let fy = y as f32 * inv;
        let cy = fy.floor();
        let ty = smoothstep(0.0, 1.0, fy - cy);
        let cy = (cy as usize).min(lh - 2);
        let (top, bottom) = (
            &lattice[cy * lw..(cy + 1) * lw],
            &lattice[(cy + 1) * lw..(cy + 2) * lw],
        );
        for (o, &(cx, tx)) in out.iter_mut().zip(&cols) {
            let t = top[cx] + (top[cx + 1] - top[cx]) * tx;
            let b = bottom[cx] + (bottom[cx + 1] - bottom[cx]) * tx;
            *o = t + (b - t) * ty;
        }
    })
}

/// Fills `out` with white noise in 0..1 for row `y`: one hash seeds a xorshift stream, which
/// is several times cheaper than hashing every pixel and still a pure function of (y, seed).
pub fn white_row(out: &mut [f32], y: usize, seed: u32) {
    let mut state = hash(0x2545_f491, y as u32, seed) | 1;
    for o in out.iter_mut() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        *o = (state >> 8) as f32 * (1.0 / 16_777_216.0);
    }
}

/// Fractal sum of `octaves` value-noise layers (each half the size and weight of the last),
/// normalised back to 0..1.
pub fn fbm(w: usize, h: usize, scale: f32, octaves: u32, seed: u32) -> Raster {
    let mut sum = Raster::new(w, h, 1);
    let mut amplitude = 1.0;
    let mut total = 0.0;
    let mut s = scale;
    for octave in 0..octaves {
        let layer = value_noise(w, h, s, seed.wrapping_add(octave.wrapping_mul(0x9e37_79b9)));
        for (o, v) in sum.data.iter_mut().zip(&layer.data) {
            *o += amplitude * v;
        }
        total += amplitude;
        amplitude *= 0.5;
        s *= 0.5;
    }
    sum.data.iter_mut().for_each(|v| *v /= total);
    sum
}

/// Paper: a gently varying fibre pattern plus fine grain, around 1.0 (multiply it in).
/// `strength` is the peak-to-peak depth of the texture.
pub fn paper(w: usize, h: usize, strength: f32, seed: u32) -> Raster {
    let fibres = fbm(w, h, 24.0, 3, seed);
    Raster::from_rows(w, h, 1, |y, out| {
        white_row(out, y, seed ^ 0x5bd1_e995);
        for (o, &f) in out.iter_mut().zip(fibres.row(y)) {
            *o = 1.0 - strength * (0.6 * f + 0.4 * *o);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_is_a_function_of_position_and_seed() {
        let a = value_noise(50, 40, 8.0, 7);
        let b = value_noise(50, 40, 8.0, 7);
        let c = value_noise(50, 40, 8.0, 8);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.data.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn white_noise_is_roughly_uniform() {
        let n = white_plane(100, 100, 3);
        let mean: f32 = n.data.iter().sum::<f32>() / n.data.len() as f32;
        assert!((mean - 0.5).abs() < 0.02, "mean {mean}");
    }
}
