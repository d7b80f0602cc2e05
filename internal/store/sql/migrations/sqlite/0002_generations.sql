-- generations counts the writes of each kind of object. The engine bumps
-- the row of every kind a transaction wrote just before it commits, so a
-- reader that sees a generation sees every write it counts; an answer
-- computed from the objects can then be cached for as long as the
-- generations of the kinds it reads are unchanged, across processes.
CREATE TABLE generations (
    kind TEXT PRIMARY KEY,
    gen  BIGINT NOT NULL
);
