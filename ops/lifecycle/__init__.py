"""Data that leaves when it should (issue 26): Storage kept in step with the rows, account erasure, retention.

Run as a job outside the edge runtime (`ops storage sweep`, `ops account delete`, `ops retention run`,
`ops lifecycle run`): each step works in batches, commits what it finished, and resumes where it stopped."""
