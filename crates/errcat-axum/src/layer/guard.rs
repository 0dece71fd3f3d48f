//! The handler's future, guarded: its panics caught, and stopped at the
//! deadline.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::FutureExt;

pin_project_lite::pin_project! {
    /// Runs `fut`, catching its panics, until it is done (`Some`) or
    /// `deadline` has passed (`None`); the future is dropped then.
    ///
    /// The timer is armed only if the future is still pending after its
    /// first poll: most handlers answer on their first poll, and so never
    /// register a timer in the runtime's wheel (nor take its lock twice, to
    /// add and remove the entry). Once armed, the deadline is also checked
    /// against the clock after every pending poll, so that a future that
    /// spends the task's whole cooperative budget each time (which makes the
    /// timer's own poll return pending) still times out, as with
    /// `tokio::time::timeout`.
    pub(super) struct Guarded<F> {
        #[pin]
        fut: Option<futures_util::future::CatchUnwind<AssertUnwindSafe<F>>>,
        deadline: Option<tokio::time::Instant>,
        timer: Option<Pin<Box<tokio::time::Sleep>>>,
    }
}

impl<F: Future> Guarded<F> {
    pub(super) fn new(fut: F, deadline: Option<tokio::time::Instant>) -> Self {
        Guarded {
            fut: Some(AssertUnwindSafe(fut).catch_unwind()),
            deadline,
            timer: None,
        }
    }
}

impl<F: Future> Future for Guarded<F> {
    type Output = Option<std::thread::Result<F::Output>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(fut) = this.fut.as_mut().as_pin_mut() else {
            return Poll::Ready(None);
        };
        if let Poll::Ready(out) = fut.poll(cx) {
            this.fut.set(None);
            return Poll::Ready(Some(out));
        }
        let Some(deadline) = *this.deadline else {
            return Poll::Pending;
        };
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.as_mut().poll(cx).is_ready() || tokio::time::Instant::now() >= deadline {
            this.fut.set(None);
            *this.timer = None;
            return Poll::Ready(None);
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn a_handler_ready_at_once_arms_no_timer() {
        // A runtime without a timer: arming one would panic.
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let deadline = rt.block_on(async {
            Some(tokio::time::Instant::from_std(Instant::now()) + Duration::from_secs(30))
        });
        let out = rt.block_on(Guarded::new(async { 7 }, deadline));
        assert_eq!(out.map(Result::unwrap), Some(7));
        let out = rt.block_on(Guarded::new(async { panic!("boom") }, deadline));
        assert!(matches!(out, Some(Err(_))));
    }

    #[test]
    fn a_pending_handler_times_out_at_the_deadline() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let start = tokio::time::Instant::now();
            let deadline = Some(start + Duration::from_millis(50));
            let never = std::future::pending::<()>();
            assert!(Guarded::new(never, deadline).await.is_none());
            assert!(start.elapsed() >= Duration::from_millis(50));
            // A future that keeps its task busy times out too.
            let start = tokio::time::Instant::now();
            let deadline = Some(start + Duration::from_millis(50));
            let busy = std::future::poll_fn(|cx| {
                cx.waker().wake_by_ref();
                Poll::<()>::Pending
            });
            assert!(Guarded::new(busy, deadline).await.is_none());
            // One that answers after a few polls is not cut short.
            let mut polls = 0;
            let slow = std::future::poll_fn(|cx| {
                polls += 1;
                if polls < 3 {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                } else {
                    Poll::Ready(polls)
                }
            });
            let deadline = Some(tokio::time::Instant::now() + Duration::from_secs(30));
            assert_eq!(
                Guarded::new(slow, deadline).await.map(Result::unwrap),
                Some(3)
            );
        });
    }
}
