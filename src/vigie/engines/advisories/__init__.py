"""Advisories that name products without CPE: medical-device CSAF, CVE 5 `affected`, purl ranges.

* `names`           vendor names (aliases, families, misspellings) and product names cut into tokens
* `product_text`    what an advisory's product string really says: alternatives split on `/`,
                    excluded products, a version family inside the name, a product in the version
* `version_expr`    version expressions as advisories write them (vers, free text, tags)
* `device_match`    an inventory asset against an advisory product: graded, with its reason
* `package_match`   purl packages against `vers:` ranges (univers)
"""
