"""Admission of new data spaces: submit, check, review, decide (issue 20).

``service`` (submit, correct, list, read), ``checks`` (beyond the shapes), ``decide``
(admission through the one write path, rejection), ``review`` (the tier picture and the
diff an authority reads), ``feed`` (decisions as Atom and JSON Feed), ``records`` (where
pending submissions live: outside the store), ``books`` (the book of each store, and
settling admissions a stopped node left half-way).
"""
