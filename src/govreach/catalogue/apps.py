from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "govreach.catalogue"
    verbose_name = "Service catalogue"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from govreach.catalogue.cache import catalogue_changed
        from govreach.catalogue.models import PackPilot, ServicePack

        # Every write, whoever makes it (services, the admin, a shell), reaches each process's memory:
        # the versions, the pilots and their areas. A change to the areas' tree (which areas lie below a
        # pilot's) is left to the time limit: imports save areas by the thousand, and a pilot is set
        # up on areas that exist already.
        for model in (ServicePack, PackPilot):
            post_save.connect(
                catalogue_changed, sender=model, dispatch_uid=f"in_force_saved_{model.__name__}"
            )
            post_delete.connect(
                catalogue_changed, sender=model, dispatch_uid=f"in_force_deleted_{model.__name__}"
            )
        m2m_changed.connect(
            catalogue_changed, sender=PackPilot.areas.through, dispatch_uid="in_force_pilot_areas"
        )
