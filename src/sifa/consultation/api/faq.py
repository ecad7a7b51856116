"""Knowledge-base API: GET faq/?q= (suggestions while typing) and GET faq/{id}/."""

urlpatterns: list = []
