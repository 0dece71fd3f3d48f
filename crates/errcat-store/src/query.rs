//! What the queries of [`crate::Store`] share: the filter's conditions,
//! written once for both backends, and the fold of the grouping query's
//! rows into groups.

use crate::record::Group;

/// Appends `filter`'s conditions (`AND …`) to the query builder `$q`.
macro_rules! push_filters_impl {
    ($q:expr, $filter:expr) => {{
        let f: &$crate::Filter = $filter;
        if let Some(v) = &f.code {
            $q.push(" AND code = ").push_bind(v.as_str());
        }
        if let Some(r) = &f.status {
            if r.start() == r.end() {
                $q.push(" AND status = ").push_bind(i64::from(*r.start()));
            } else {
                $q.push(" AND status BETWEEN ")
                    .push_bind(i64::from(*r.start()))
                    .push(" AND ")
                    .push_bind(i64::from(*r.end()));
            }
        }
        if let Some(v) = &f.category {
            $q.push(" AND category = ").push_bind(v.as_str());
        }
        if let Some(v) = &f.route {
            if v.contains('{') {
                $q.push(" AND route = ").push_bind(v.as_str());
            } else {
                $q.push(" AND (route = ")
                    .push_bind(v.as_str())
                    .push(" OR path = ")
                    .push_bind(v.as_str())
                    .push(")");
            }
        }
        if let Some(v) = &f.tenant {
            $q.push(" AND lower(tenant) = lower(")
                .push_bind(v.as_str())
                .push(")");
        }
        if let Some(v) = &f.message {
            $q.push(" AND message = ").push_bind(v.as_str());
        }
        if let Some(v) = f.since_ms {
            $q.push(" AND ts_ms >= ").push_bind(v);
        }
        if let Some(v) = f.until_ms {
            $q.push(" AND ts_ms < ").push_bind(v);
        }
    }};
}

pub(crate) use push_filters_impl as push_filters;

/// One row of the grouping query's second part: a group's errors in one
/// bucket (a missing message as the empty string).
pub(crate) struct BucketRow {
    pub(crate) code: String,
    pub(crate) route: String,
    pub(crate) message: String,
    pub(crate) bucket: i64,
    pub(crate) count: i64,
}

/// Each bucket row added to its group's sparkline, oldest bucket first.
pub(crate) fn add_buckets(groups: &mut [Group], rows: Vec<BucketRow>) {
    let index: std::collections::HashMap<(&str, &str, &str), usize> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            (
                (
                    g.code.as_str(),
                    g.route.as_str(),
                    g.message.as_deref().unwrap_or(""),
                ),
                i,
            )
        })
        .collect();
    let mut placed: Vec<(usize, i64, i64)> = rows
        .iter()
        .filter_map(|r| {
            let i = *index.get(&(r.code.as_str(), r.route.as_str(), r.message.as_str()))?;
            Some((i, r.bucket, r.count))
        })
        .collect();
    placed.sort_unstable();
    for (i, bucket, count) in placed {
        groups[i].buckets.push((bucket, count));
    }
}
