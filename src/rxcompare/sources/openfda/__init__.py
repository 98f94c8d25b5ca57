"""The openFDA API: adverse-event counts and labels fetched by name (client: :mod:`rxcompare.sources.openfda.client`)."""
