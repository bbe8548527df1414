//! The pause between two attempts of something another session holds up (a lock, rows being
//! written): exponential, capped, and jittered, so that several waiting clients do not retry
//! in step.

use std::time::Duration;

/// The longest pause between two attempts.
pub(crate) const MAX_RETRY_DELAY: Duration = Duration::from_secs(60);

/// The pause after failed attempt `attempt` (1-based): `first` doubled per attempt, at most
/// [`MAX_RETRY_DELAY`], times a random factor in [0.5, 1.5).
pub(crate) fn backoff(first: Duration, attempt: u32) -> Duration {
    let base = first.saturating_mul(1u32 << attempt.saturating_sub(1).min(16)).min(MAX_RETRY_DELAY);
    let jitter = 0.5 + (uuid::Uuid::new_v4().as_u128() % 1000) as f64 / 1000.0;
    base.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_with_jitter_and_a_cap() {
        let first = Duration::from_secs(1);
        for attempt in 1..=4 {
            let base = first * (1 << (attempt - 1));
            let pause = backoff(first, attempt);
            assert!(pause >= base / 2 && pause < base * 3 / 2, "attempt {attempt}: {pause:?}");
        }
        assert!(backoff(first, 40) < MAX_RETRY_DELAY * 3 / 2);
    }
}
