-- A duration for people, as syncctl says it everywhere (45s, 16m 20s, 5h 3m, 483d 2h), of
-- column s (int8 seconds) of the relation it is selected from: a fragment of the notes that
-- reap/batch.sql and the guard's claim append to a released row's error_message.
--- Placeholders: none; the relation around it has a column s.
CASE WHEN s < 60 THEN s || 's'
     WHEN s < 3600 THEN s / 60 || 'm ' || s % 60 || 's'
     WHEN s < 86400 THEN s / 3600 || 'h ' || s % 3600 / 60 || 'm'
     ELSE s / 86400 || 'd ' || s % 86400 / 3600 || 'h' END
