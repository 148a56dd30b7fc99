//! A static uniform grid over points of the Web Mercator unit square, for the clustering's radius
//! queries and the tiles' box queries: entries sorted by (row, column) with two counting sorts
//! (no comparisons) and a dense table of row starts. Each entry also knows where its
//! neighbourhood starts in the rows above and below (found by merging adjacent rows), so a
//! radius query around an indexed point reads three short runs without searching: the
//! clustering is bound by memory latency, and a binary search per row cost more than the rest
//! of the query. Built in O(n + rows + columns).

/// One indexed point: its position, its column, the caller's index, and the first entries of
/// the rows above and below whose column is at least `col - 1`.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    x: f64,
    y: f64,
    col: u32,
    idx: u32,
    up: u32,
    down: u32,
}

/// Points bucketed by cells of side `cell` (unit-square units).
#[derive(Debug, Default)]
pub(crate) struct Grid {
    /// 1 / cell side.
    inv: f64,
    /// Row of `row_start[0]`.
    row0: i64,
    /// `entries[row_start[r]..row_start[r + 1]]` lie in row `row0 + r`, sorted by column.
    row_start: Vec<u32>,
    entries: Vec<Entry>,
    /// Position in `entries` of each caller's index (`u32::MAX` for none).
    pos: Vec<u32>,
}

impl Grid {
    /// Indexes the `n` points `point(i)` = `(x, y, idx)`, all in `[0, 1]`, each `idx` once and
    /// below `keys`, with cells of side `cell` (> 0).
    pub(crate) fn new(
        n: usize,
        keys: usize,
        point: impl Fn(usize) -> (f64, f64, u32),
        cell: f64,
    ) -> Grid {
        let inv = 1.0 / cell;
        if n == 0 {
            return Grid {
                inv,
                ..Grid::default()
            };
        }
        // coordinates are never negative: truncation is the floor
        let cells: Vec<(u32, u32)> = (0..n)
            .map(|i| {
                let (x, y, _) = point(i);
                ((y * inv) as u32, (x * inv) as u32)
            })
            .collect();
        let (mut row0, mut row1, mut col0, mut col1) = (u32::MAX, 0, u32::MAX, 0);
        for &(r, c) in &cells {
            (row0, row1, col0, col1) = (row0.min(r), row1.max(r), col0.min(c), col1.max(c));
        }
        // the point numbers by column, then stably by row: by (row, column). Sorting 4-byte
        // numbers, then gathering the entries, writes far less at random than moving entries.
        let all = (0..n as u32).collect::<Vec<u32>>();
        let by_col = counting_sort(&all, (col1 - col0) as usize + 1, |&i| {
            (cells[i as usize].1 - col0) as usize
        });
        let (order, row_start) = counting_sort_starts(&by_col, (row1 - row0) as usize + 1, |&i| {
            (cells[i as usize].0 - row0) as usize
        });
        let mut pos = vec![u32::MAX; keys];
        let mut entries: Vec<Entry> = order
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let (x, y, idx) = point(i as usize);
                pos[idx as usize] = k as u32;
                Entry {
                    x,
                    y,
                    col: cells[i as usize].1,
                    idx,
                    ..Entry::default()
                }
            })
            .collect();
        // where each entry's neighbourhood starts in the adjacent rows: a merge of sorted runs
        let cols: Vec<u32> = entries.iter().map(|e| e.col).collect();
        let rows = row_start.len() - 1;
        for r in 0..rows {
            for (a, up) in [(r.wrapping_sub(1), true), (r + 1, false)] {
                if a >= rows {
                    continue;
                }
                let (mut j, end) = (row_start[a], row_start[a + 1]);
                for k in row_start[r] as usize..row_start[r + 1] as usize {
                    let from = cols[k].saturating_sub(1);
                    while j < end && cols[j as usize] < from {
                        j += 1;
                    }
                    if up {
                        entries[k].up = j;
                    } else {
                        entries[k].down = j;
                    }
                }
            }
        }
        Grid {
            inv,
            row0: i64::from(row0),
            row_start,
            entries,
            pos,
        }
    }

    /// Number of points.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Calls `f(idx)` for every point within `sqrt(r2)` of the point indexed `idx` (itself
    /// included; inclusive, like supercluster's KDBush `within`), in grid order. `sqrt(r2)` must
    /// not exceed the cell side. Nothing for an index not in the grid.
    #[inline]
    pub(crate) fn around(&self, idx: u32, r2: f64, mut f: impl FnMut(u32)) {
        let Some(&k) = self.pos.get(idx as usize) else {
            return;
        };
        let Some(&q) = self.entries.get(k as usize) else {
            return;
        };
        let r = ((q.y * self.inv) as i64 - self.row0) as usize;
        let last = q.col + 1;
        let mut scan = |from: u32, end: u32| {
            for e in &self.entries[from as usize..end as usize] {
                if e.col > last {
                    break;
                }
                let (dx, dy) = (e.x - q.x, e.y - q.y);
                if dx * dx + dy * dy <= r2 {
                    f(e.idx);
                }
            }
        };
        if r > 0 {
            scan(q.up, self.row_start[r]);
        }
        let (start, mut from) = (self.row_start[r], k);
        let first = q.col.saturating_sub(1);
        while from > start && self.entries[from as usize - 1].col >= first {
            from -= 1;
        }
        scan(from, self.row_start[r + 1]);
        if r + 2 < self.row_start.len() {
            scan(q.down, self.row_start[r + 2]);
        }
    }

    /// Calls `f(idx)` for every point in the box `[x0, x1] × [y0, y1]` (inclusive).
    pub(crate) fn in_box(&self, [x0, y0]: [f64; 2], [x1, y1]: [f64; 2], mut f: impl FnMut(u32)) {
        if x1 < 0.0 || y1 < 0.0 {
            return;
        }
        // coordinates are never negative: truncation is the floor
        let cell = |v: f64| (v.max(0.0) * self.inv) as i64;
        let (col0, col1) = (cell(x0), cell(x1));
        for r in cell(y0)..=cell(y1) {
            for e in self.row_from(r, col0) {
                if i64::from(e.col) > col1 {
                    break;
                }
                if (x0..=x1).contains(&e.x) && (y0..=y1).contains(&e.y) {
                    f(e.idx);
                }
            }
        }
    }

    /// The entries of row `r` from column `col` on (empty outside the grid).
    #[inline]
    fn row_from(&self, r: i64, col: i64) -> &[Entry] {
        let r = r - self.row0;
        if r < 0 || r + 1 >= self.row_start.len() as i64 {
            return &[];
        }
        let run = &self.entries
            [self.row_start[r as usize] as usize..self.row_start[r as usize + 1] as usize];
        let first = run.partition_point(|e| i64::from(e.col) < col);
        &run[first..]
    }
}

/// Stable counting sort of `items` by `key(item) < keys`.
fn counting_sort<T: Copy>(items: &[T], keys: usize, key: impl Fn(&T) -> usize) -> Vec<T> {
    counting_sort_starts(items, keys, key).0
}

/// [`counting_sort`], with where each key's run starts (and, last, the end).
fn counting_sort_starts<T: Copy>(
    items: &[T],
    keys: usize,
    key: impl Fn(&T) -> usize,
) -> (Vec<T>, Vec<u32>) {
    let mut start = vec![0u32; keys + 1];
    for it in items {
        start[key(it) + 1] += 1;
    }
    for k in 1..start.len() {
        start[k] += start[k - 1];
    }
    let mut next = start.clone();
    let mut out = items.to_vec();
    for it in items {
        let s = &mut next[key(it)];
        out[*s as usize] = *it;
        *s += 1;
    }
    (out, start)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both queries against a scan of every point.
    #[test]
    fn queries_match_a_scan() {
        let mut rng = crate::testdata::Rng::new(7);
        let pts: Vec<(f64, f64, u32)> = (0..3000)
            .map(|i| (rng.range(0.4, 0.6), rng.range(0.3, 0.45), i))
            .collect();
        for cell in [0.001, 0.01, 0.3] {
            let g = Grid::new(pts.len(), pts.len(), |i| pts[i], cell);
            assert_eq!(g.len(), pts.len());
            for q in 0..200 {
                let (i, r) = (rng.below(pts.len()), cell * rng.range(0.1, 1.0));
                let (x, y, _) = pts[i];
                let mut got = Vec::new();
                g.around(i as u32, r * r, |i| got.push(i));
                got.sort_unstable();
                let want: Vec<u32> = pts
                    .iter()
                    .filter(|p| (p.0 - x).powi(2) + (p.1 - y).powi(2) <= r * r)
                    .map(|p| p.2)
                    .collect();
                assert_eq!(got, want, "around, cell {cell}, query {q}");
                let (x, y) = (rng.range(0.38, 0.62), rng.range(0.28, 0.47));
                let (w, h) = (rng.range(0.0, 0.05), rng.range(0.0, 0.05));
                let mut got = Vec::new();
                g.in_box([x, y], [x + w, y + h], |i| got.push(i));
                got.sort_unstable();
                let want: Vec<u32> = pts
                    .iter()
                    .filter(|p| (x..=x + w).contains(&p.0) && (y..=y + h).contains(&p.1))
                    .map(|p| p.2)
                    .collect();
                assert_eq!(got, want, "in_box, cell {cell}, query {q}");
            }
        }
        let empty = Grid::new(0, 0, |_| (0.0, 0.0, 0), 0.1);
        let mut found = 0;
        empty.around(0, 0.01, |_| found += 1);
        empty.in_box([0.0, 0.0], [1.0, 1.0], |_| found += 1);
        assert_eq!(found, 0);
    }
}
