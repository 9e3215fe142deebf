"""Any JSON a Lambda returns gives an HTTP answer or a contract error — never a crash."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.http import HttpResponse
from engine.services.apigateway.pipeline import GatewayAnswer, _proxy_response
from engine.services.apigatewayv2.payloads import MalformedResponse, response_v1, response_v2

_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(
    ["statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies"]
)
_answers = _json | st.dictionaries(_keys, _json, max_size=5)


@settings(max_examples=120, deadline=None)
@given(_answers)
def test_rest_proxy_contract_never_crashes(answer):
    try:
        response = _proxy_response(answer)
    except GatewayAnswer as answer_error:
        assert answer_error.context["status"] == "502"
    else:
        assert isinstance(response, HttpResponse)
        assert 100 <= response.status <= 599


@settings(max_examples=120, deadline=None)
@given(_answers)
def test_http_api_contracts_never_crash(answer):
    for convert in (response_v1, response_v2):
        try:
            response = convert(answer)
        except MalformedResponse:
            continue
        assert isinstance(response, HttpResponse)
        assert isinstance(response.body, bytes)
