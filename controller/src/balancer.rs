//! Choosing an invoker, as OpenWhisk's sharding balancer does: a home invoker by hash of the
//! caller's namespace and the action name, then co-prime steps over the healthy invokers.
//! Pure functions, so the probing order is unit-tested.

/// Java's `String.hashCode` (OpenWhisk hashes with it; keeping it keeps the same homes).
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Numbers in 1..=n that are co-prime to `n` and to each other (OpenWhisk's step sizes).
pub fn pairwise_coprimes_until(n: usize) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for x in 1..=n {
        if gcd(x, n) == 1 && out.iter().all(|&y| gcd(x, y) == 1) {
            out.push(x);
        }
    }
    out
}

/// The order in which `n` invokers are probed for an action of `fqn` invoked from `namespace`.
pub fn probe_order(namespace: &str, fqn: &str, n: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let hash = (java_string_hash(namespace) ^ java_string_hash(fqn)).unsigned_abs() as usize;
    probe_order_for_hash(hash, n)
}

fn probe_order_for_hash(hash: usize, n: usize) -> Vec<usize> {
    let steps = pairwise_coprimes_until(n);
    let step = steps.get(hash % steps.len().max(1)).copied().unwrap_or(1);
    let home = hash % n;
    (0..n).map(|i| (home + i * step) % n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coprimes_match_openwhisk() {
        assert_eq!(pairwise_coprimes_until(10), vec![1, 3, 7]);
        assert_eq!(pairwise_coprimes_until(1), vec![1]);
    }

    #[test]
    fn probing_visits_every_invoker_once_from_home() {
        // The example in OpenWhisk's source: 10 invokers, hash 13 -> home 3, step 3.
        assert_eq!(probe_order_for_hash(13, 10), vec![3, 6, 9, 2, 5, 8, 1, 4, 7, 0]);
        let mut o = probe_order("guest", "guest/hello", 7);
        o.sort_unstable();
        assert_eq!(o, (0..7).collect::<Vec<_>>());
    }

    #[test]
    fn java_hash_matches_known_values() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), 97);
        assert_eq!(java_string_hash("hello"), 99_162_322);
    }
}
