"""Run the contracts without writing a class::

    pytest --pyargs catalog_guard.contract_tests --catalog-guard-gateway-url https://staging.example.com
    pytest --pyargs catalog_guard.contract_tests --catalog-guard-fetcher our_app.catalog:fetch_huggingface_models

A contract whose option is not given is skipped here (and only here: a subclass in a team's repository fails
without its target).
"""
