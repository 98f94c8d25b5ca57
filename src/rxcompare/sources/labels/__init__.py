"""FDA labels: parsed from SPL XML or openFDA JSON into :class:`rxcompare.models.Label`, and the
facts, dosing and incidences drawn from their sections."""
