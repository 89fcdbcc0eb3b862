"""What the clock sets off: the table of scheduled jobs (table), what every job is given and how
it works through its rows (runner), and the jobs: the shift lifecycle's steps, change notices,
offer deadlines, the templates' roll-forward."""
