//! No double booking, ever: 50 concurrent HTTP requests for the same and partially overlapping
//! slots, on both databases.

use balie_tests::race::{race, standard_sets};
use balie_tests::{both, weekday_ahead, TestApp};

both!(fifty_way_race_books_exactly_one_per_conflicting_set, async |app: &TestApp| {
    let day = weekday_ahead(40);
    let sets = standard_sets(app, &day).await;
    let wins = race(app, &sets, 50).await;
    assert_eq!(wins, vec![1; sets.len()], "exactly one winner per conflicting set");
    // And the database agrees: no two live reservations on related resources overlap.
    let all = app.store().reservations(&Default::default()).await.unwrap();
    assert_eq!(all.len(), sets.len());
    assert_eq!(app.store().double_bookings().await.unwrap(), 0);
});
