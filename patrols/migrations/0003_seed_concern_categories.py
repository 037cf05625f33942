from django.db import migrations

# police.uk StreetSafe's categories (PRODUCT.md), so the scheme's data can be compared with it.
CATEGORIES = [
    ("No or broken CCTV", "place", "#1f77b4"),
    ("Badly lit", "place", "#b8860b"),
    ("Empty buildings or isolated place", "place", "#2ca02c"),
    ("Poor street layout (blind spots, hidden areas)", "place", "#8c564b"),
    ("Restricted visibility (overgrown bushes, walls)", "place", "#17becf"),
    ("Rundown (derelict buildings, graffiti, fly-tipping)", "place", "#7f7f7f"),
    ("Signs of drug or alcohol use", "place", "#9467bd"),
    ("Unsafe transport stop", "place", "#e377c2"),
    ("Verbal harassment by one stranger", "people", "#d62728"),
    ("Verbal harassment by a group", "people", "#a50f15"),
    ("Being followed", "people", "#ff7f0e"),
    ("Other harassment", "people", "#6a3d9a"),
    ("Other", "other", "#3a2a6b"),
]


def seed(apps, schema_editor):
    ConcernCategory = apps.get_model("patrols", "ConcernCategory")
    for position, (name, group, colour) in enumerate(CATEGORIES):
        ConcernCategory.objects.get_or_create(
            name=name, defaults={"group": group, "colour": colour, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("patrols", "0002_concerns_disclosures_ratings")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
