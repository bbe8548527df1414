-- The end of a guard script: its one transaction commits.
COMMIT;
