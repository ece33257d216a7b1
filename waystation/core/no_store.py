"""No page or download of Waystation is kept by a browser or a proxy.

A browser's disk cache would otherwise keep case pages, lists, the audit log, receipts and
exports readable after the member signed out, on a laptop that may be seized. One middleware,
placed after the static files (which hold nothing of anyone's), marks every other answer —
signed-in pages and downloads, sign-in, unseal and the portal alike — ``no-store``.
"""

from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private
        return response
