from django.http import HttpResponse
from django.urls import include, path

from waystation.core.access import public
from waystation.urls import handler403, handler404, handler500  # noqa: F401


@public
def hello(request):
    return HttpResponse("hello")


urlpatterns = [
    path("bench/hello/", hello),
    path("", include("waystation.urls")),
]
