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

/// Smooth value noise in 0..1 with features about `scale` pixels wide, evaluated a row at a
/// time: random values on a coarse lattice (hashed once each, up front), blended with a
/// smoothstep. Styles read it row by row inside their final pass instead of materialising
/// full-size noise planes.
pub struct ValueNoise {
    lattice: Vec<f32>,
    lattice_w: usize,
    lattice_h: usize,
    inv_scale: f32,
    /// Per output column: lattice cell and horizontal blend weight (the same for every row).
    cols: Vec<(usize, f32)>,
}

impl ValueNoise {
    pub fn new(w: usize, h: usize, scale: f32, seed: u32) -> ValueNoise {
        let inv_scale = 1.0 / scale.max(1.0);
        let lattice_w = (w as f32 * inv_scale) as usize + 2;
        let lattice_h = (h as f32 * inv_scale) as usize + 2;
        let lattice = (0..lattice_w * lattice_h)
            .map(|i| white((i % lattice_w) as u32, (i / lattice_w) as u32, seed))
            .collect();
        let cols = (0..w)
            .map(|x| {
                let fx = x as f32 * inv_scale;
                let cx = fx.floor();
                (
                    (cx as usize).min(lattice_w - 2),
                    smoothstep(0.0, 1.0, fx - cx),
                )
            })
            .collect();
        ValueNoise {
            lattice,
            lattice_w,
            lattice_h,
            inv_scale,
            cols,
        }
    }

    /// `out[x] += amplitude · noise(x, y)`.
    pub fn add_row(&self, y: usize, amplitude: f32, out: &mut [f32]) {
        let fy = y as f32 * self.inv_scale;
        let cy = fy.floor();
        let ty = smoothstep(0.0, 1.0, fy - cy);
        let cy = (cy as usize).min(self.lattice_h - 2);
        let lw = self.lattice_w;
        let top = &self.lattice[cy * lw..(cy + 1) * lw];
        let bottom = &self.lattice[(cy + 1) * lw..(cy + 2) * lw];
        // Blend the two lattice rows first (a few dozen values), then each pixel is one lerp.
        let mut blended = [0f32; 256];
        let mut heap = Vec::new();
        let row: &mut [f32] = if lw <= blended.len() {
            &mut blended[..lw]
        } else {
            heap.resize(lw, 0.0);
            &mut heap
        };
        for ((r, &t), &b) in row.iter_mut().zip(top).zip(bottom) {
            *r = amplitude * (t + (b - t) * ty);
        }
        for (o, &(cx, tx)) in out.iter_mut().zip(&self.cols) {
            *o += row[cx] + (row[cx + 1] - row[cx]) * tx;
        }
    }

    pub fn fill_row(&self, y: usize, out: &mut [f32]) {
        out.fill(0.0);
        self.add_row(y, 1.0, out);
    }
}

/// Fractal sum of value-noise octaves (each half the size and weight of the last), in 0..1.
pub struct Fbm {
    octaves: Vec<(ValueNoise, f32)>,
}

impl Fbm {
    pub fn new(w: usize, h: usize, scale: f32, octaves: u32, seed: u32) -> Fbm {
        let total: f32 = (0..octaves).map(|o| 0.5f32.powi(o as i32)).sum();
        let octaves = (0..octaves)
            .map(|o| {
                let layer_seed = seed.wrapping_add(o.wrapping_mul(0x9e37_79b9));
                let noise = ValueNoise::new(w, h, scale * 0.5f32.powi(o as i32), layer_seed);
                (noise, 0.5f32.powi(o as i32) / total)
            })
            .collect();
        Fbm { octaves }
    }

    pub fn fill_row(&self, y: usize, out: &mut [f32]) {
        out.fill(0.0);
        for (noise, amplitude) in &self.octaves {
            noise.add_row(y, *amplitude, out);
        }
    }
}

/// Paper: a gently varying fibre pattern plus fine grain, around 1.0 (multiply it in).
pub struct Paper {
    fibres: Fbm,
    strength: f32,
    seed: u32,
}

impl Paper {
    /// `strength` is the peak-to-peak depth of the texture.
    pub fn new(w: usize, h: usize, strength: f32, seed: u32) -> Paper {
        Paper {
            fibres: Fbm::new(w, h, 24.0, 2, seed),
            strength,
            seed: seed ^ 0x5bd1_e995,
        }
    }

    /// Fills `out` with row `y` of the paper; `scratch` is a row-sized buffer.
    pub fn fill_row(&self, y: usize, out: &mut [f32], scratch: &mut [f32]) {
        self.fibres.fill_row(y, scratch);
        white_row(out, y, self.seed);
        for (o, &f) in out.iter_mut().zip(scratch.iter()) {
            *o = 1.0 - self.strength * (0.6 * f + 0.4 * *o);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(noise: &ValueNoise, w: usize, h: usize) -> Vec<f32> {
        let mut all = vec![0.0; w * h];
        for (y, row) in all.chunks_exact_mut(w).enumerate() {
            noise.fill_row(y, row);
        }
        all
    }

    #[test]
    fn noise_is_a_function_of_position_and_seed() {
        let a = rows(&ValueNoise::new(50, 40, 8.0, 7), 50, 40);
        let b = rows(&ValueNoise::new(50, 40, 8.0, 7), 50, 40);
        let c = rows(&ValueNoise::new(50, 40, 8.0, 8), 50, 40);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn white_noise_is_roughly_uniform() {
        let n = white_plane(100, 100, 3);
        let mean: f32 = n.data.iter().sum::<f32>() / n.data.len() as f32;
        assert!((mean - 0.5).abs() < 0.02, "mean {mean}");
    }
}
