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

/// One row of the grouping query: a group's errors in one bucket.
pub(crate) struct GroupRow {
    pub(crate) code: String,
    pub(crate) route: String,
    pub(crate) message: Option<String>,
    pub(crate) status: i64,
    pub(crate) bucket: i64,
    pub(crate) count: i64,
    pub(crate) first_ms: i64,
    pub(crate) last_ms: i64,
    pub(crate) sample: String,
}

/// Rows per (group, bucket) folded into groups, most recently seen first,
/// at most `limit`.
pub(crate) fn fold_groups(rows: Vec<GroupRow>, limit: usize) -> Vec<Group> {
    let mut groups: std::collections::HashMap<(String, String, Option<String>), Group> =
        std::collections::HashMap::new();
    for r in rows {
        let g = groups
            .entry((r.code.clone(), r.route.clone(), r.message.clone()))
            .or_insert_with(|| Group {
                code: r.code,
                route: r.route,
                message: r.message,
                status: 0,
                count: 0,
                first_ms: i64::MAX,
                last_ms: i64::MIN,
                sample_error_id: String::new(),
                buckets: Vec::new(),
            });
        g.status = g.status.max(u16::try_from(r.status).unwrap_or(0));
        g.count += r.count;
        g.first_ms = g.first_ms.min(r.first_ms);
        if r.last_ms >= g.last_ms {
            g.last_ms = r.last_ms;
            g.sample_error_id = r.sample;
        }
        g.buckets.push((r.bucket, r.count));
    }
    let mut out: Vec<Group> = groups.into_values().collect();
    for g in &mut out {
        g.buckets.sort_unstable();
    }
    out.sort_by(|a, b| {
        b.last_ms
            .cmp(&a.last_ms)
            .then_with(|| a.code.cmp(&b.code))
            .then_with(|| a.route.cmp(&b.route))
    });
    out.truncate(limit);
    out
}
