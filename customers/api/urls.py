from .views import CustomerDataViewSet, CustomerProfileViewSet

routes = [
    ("customer-profiles", CustomerProfileViewSet, "customer-profile"),
    ("customer-data", CustomerDataViewSet, "customer-data"),
]
