-- ### `cell_metrics` — every number of every cell of the grid
--
-- `cell_id, phase, epoch, name, value, attack`: the rows of `metrics` that
-- belong to a cell — those of its model (`cells.model_id`) that are the
-- model's own (`attack` '') or measured against the cell's attack. A clean
-- model's numbers appear once for each cell of rate 0 it is the model of,
-- with that cell's ASR. Query this rather than `metrics` to follow a cell.
CREATE VIEW cell_metrics AS
SELECT c.id AS cell_id, m.phase, m.epoch, m.name, m.value, m.attack
FROM cells c JOIN metrics m ON m.cell_id = c.model_id AND m.attack IN ('', c.attack)
WHERE c.kind = 'cell';
