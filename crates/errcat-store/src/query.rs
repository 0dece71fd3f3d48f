//! What the queries of [`crate::Store`] share: the filter's conditions,
//! written once for both backends, and the fold of the grouping query's
//! rows into groups.

use crate::record::{Filter, Group};
use crate::sql::Sql;

/// Appends `f`'s conditions (`AND …`) to the query.
pub(crate) fn push_filters(q: &mut Sql, f: &Filter) {
    if let Some(v) = &f.code {
        q.push(" AND code = ").bind(v.as_str());
    }
    if let Some(r) = &f.status {
        if r.start() == r.end() {
            q.push(" AND status = ").bind(i64::from(*r.start()));
        } else {
            q.push(" AND status BETWEEN ")
                .bind(i64::from(*r.start()))
                .push(" AND ")
                .bind(i64::from(*r.end()));
        }
    }
    if let Some(v) = &f.category {
        q.push(" AND category = ").bind(v.as_str());
    }
    if let Some(v) = &f.route {
        if v.contains('{') {
            q.push(" AND route = ").bind(v.as_str());
        } else {
            q.push(" AND (route = ")
                .bind(v.as_str())
                .push(" OR path = ")
                .bind(v.as_str())
                .push(")");
        }
    }
    if let Some(v) = &f.tenant {
        q.push(" AND lower(tenant) = lower(")
            .bind(v.as_str())
            .push(")");
    }
    if let Some(v) = &f.message {
        q.push(" AND message = ").bind(v.as_str());
    }
    if let Some(v) = f.since_ms {
        q.push(" AND ts_ms >= ").bind(v);
    }
    if let Some(v) = f.until_ms {
        q.push(" AND ts_ms < ").bind(v);
    }
}

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
