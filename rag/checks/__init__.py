"""The answer's decisions as small named checks, each with its reason on record (`schema.Decision`),
run in orders that are plain lists, by stage (the README's table of checks):

- `asked.py`: the one analysis of a question every check reads (`Asked`);
- `gates.py`: before the model (out of scope, filter, relevance, missing terms; `GATES`);
- `judge.py`: whether the passages answer it (skipped when a sentence says it plainly);
- `answer.py`: the model's whole answer (it declined, it echoed, nothing left);
- `clauses.py`: each sentence's figures (`FIGURE_CHECKS`, `CLAUSE_CHECKS`);
- `repairs.py`: markers re-pointed, withheld clauses cut, the report's sentence quoted, figures attributed;
- `counting.py`: where a text counts things (stretches, ranks, levels);
- `thresholds.py`: every threshold in one frozen table, given to the checks.

`citations.check_answer` runs the answer and clause checks; `answering.Answerer` orchestrates.
"""
