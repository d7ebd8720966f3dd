//! A map that remembers which keys were written since the store last saved it.
//!
//! Reads go through `Deref` to the plain `BTreeMap`; every way to change an entry goes through a
//! method here that records its key, so no handler can change a vault object the store would then
//! miss (`store.rs` writes exactly the recorded keys: present → upsert, absent → delete).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;

use serde::{Deserialize, Deserializer};

/// A `BTreeMap` plus the set of keys changed since the last [`TrackedMap::take_changed`].
#[derive(Debug, Clone)]
pub struct TrackedMap<K, V> {
    map: BTreeMap<K, V>,
    changed: BTreeSet<K>,
}

impl<K, V> Default for TrackedMap<K, V> {
    fn default() -> Self {
        Self {
            map: BTreeMap::new(),
            changed: BTreeSet::new(),
        }
    }
}

impl<K: Ord + Clone, V> TrackedMap<K, V> {
    /// A map holding `map`'s entries with nothing marked changed (as loaded from disk).
    pub fn loaded(map: BTreeMap<K, V>) -> Self {
        Self {
            map,
            changed: BTreeSet::new(),
        }
    }

    /// Inserts or replaces an entry.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.changed.insert(key.clone());
        self.map.insert(key, value)
    }

    /// Mutable access to one entry (marked changed whether or not the caller changes it).
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let value = self.map.get_mut(key)?;
        self.changed.insert(key.clone());
        Some(value)
    }

    /// Removes an entry.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let value = self.map.remove(key)?;
        self.changed.insert(key.clone());
        Some(value)
    }

    /// Mutable access to every value; marks every key changed, so keep it for small maps.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.changed.extend(self.map.keys().cloned());
        self.map.values_mut()
    }

    /// Keeps only the entries `keep` accepts; marks the removed keys changed.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        let changed = &mut self.changed;
        self.map.retain(|key, value| {
            let kept = keep(key, value);
            if !kept {
                changed.insert(key.clone());
            }
            kept
        });
    }

    /// The keys changed since the last call, clearing the set.
    pub fn take_changed(&mut self) -> BTreeSet<K> {
        std::mem::take(&mut self.changed)
    }
}

impl<K, V> Deref for TrackedMap<K, V> {
    type Target = BTreeMap<K, V>;

    fn deref(&self) -> &BTreeMap<K, V> {
        &self.map
    }
}

// Only read from the legacy state.json; the store writes the entries as rows of their own.
impl<'de, K, V> Deserialize<'de> for TrackedMap<K, V>
where
    K: Deserialize<'de> + Ord + Clone,
    V: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        BTreeMap::deserialize(d).map(Self::loaded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_removals_are_recorded_reads_are_not() {
        let mut map = TrackedMap::loaded(BTreeMap::from([(1, "a"), (2, "b"), (3, "c")]));
        assert_eq!(map.get(&1), Some(&"a"));
        assert!(map.take_changed().is_empty());
        map.insert(4, "d");
        if let Some(v) = map.get_mut(&2) {
            *v = "B";
        }
        map.remove(&3);
        map.get_mut(&99);
        assert_eq!(map.take_changed(), BTreeSet::from([2, 3, 4]));
        map.retain(|key, _| *key != 1);
        assert_eq!(map.take_changed(), BTreeSet::from([1]));
        assert!(map.take_changed().is_empty());
    }
}
