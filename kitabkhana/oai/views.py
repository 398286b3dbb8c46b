"""The OAI-PMH endpoint (/oai): GET or POST (application/x-www-form-urlencoded), always an XML answer."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kitabkhana.oai.protocol import oai_response, repository_identifier


@csrf_exempt  # harvesters POST without a session; nothing is written
@require_http_methods(["GET", "POST"])
def oai_endpoint(request: HttpRequest) -> HttpResponse:
    arguments = request.POST if request.method == "POST" else request.GET
    body = oai_response(
        params={name: arguments.getlist(name) for name in arguments},
        base_url=request.build_absolute_uri(request.path),
        repository=repository_identifier(request.get_host()),
    )
    return HttpResponse(body, content_type="text/xml; charset=utf-8")
