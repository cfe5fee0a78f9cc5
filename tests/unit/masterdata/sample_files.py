"""A small health system's master-data files, one of each kind, and the ``[masterdata]`` naming them."""

from __future__ import annotations

from pathlib import Path

FILES = {
    "items.csv": (
        "item_number,description,uom,standard_cost,effective_from,effective_to,gtin,consigned\n"
        "STENT-1,Stent 3.0x15,EA,1290.00,2024-01-01,2025-03-31,00884521031251,N\n"
        "STENT-1,Stent 3.0x15 (new cost),EA,1310.00,2025-04-01,,,N\n"
        "PACER-1,Pacemaker,EA,6100.00,2024-01-01,,,Y\n"
    ),
    "crosswalk.csv": "kind,code,item_number,effective_from\nehr,CV10421,STENT-1,2024-01-01\n",
    "locations.csv": (
        "location_id,entity,facility,point_of_care,cost_center,kind\n"
        "RBMC-7481,RBH01,RBMC,RBMC CATH LAB,RBH01-7481,cath_lab\n"
    ),
    "par_levels.csv": "location_id,item_number,par,reorder_point\nRBMC-7481,STENT-1,10,4\n",
    "on_hand.csv": "location_id,item_number,quantity\nRBMC-7481,STENT-1,7\n",
    "cost_centers.csv": (
        "entity,department_code,cost_center,effective_from,service_line\n"
        "RBH01,RBH01-7481,7481,2020-01-01,CARD\n"
    ),
    "standard_costs.csv": "procedure_code,facility_cost,professional_cost\n92928,8000.00,950.00\n",
    "physicians.csv": "npi,group,entity,cost_center\n1234567893,RCG,RBPG,7100\n",
    "providers.csv": "provider_id,npi\nE1001,1234567893\n",
    "payers.csv": "payer_id,name,claim_filing\n00435,MEDICARE PART A,MA\n60054,AETNA,CI\n",
    "fee_schedules.csv": "payer_id,procedure_code,allowed\n00435,92928,980.00\n",
    "entities.csv": (
        "entity,name,npi,tax_id,address_line,city,state,postal_code\n"
        "RBH01,Riverbend Medical Center,1679576722,391234567,100 Riverbend Pkwy,Riverbend,WI,"
        "549010001\n"
    ),
    "gl_accounts.csv": "role,account\ncash,10150\nsupply_expense,61500\n",
    "billing.csv": (
        "facility,entity,claim_form,office_place_of_service,final_on_charge\n"
        "RBMC,RBH01,institutional,,\n"
    ),
    "revenue_codes.csv": "charge_code,revenue_code\n27800123,0278\n",
    "payees.csv": "payee,entity\n1679576722,RBH01\n",
    "coverage.csv": "patient_id,payer_id,member_id,group_number\nE100200,00435,1EG4TE5MK72,\n",
}
"""File name -> content: a header and a row or two of each master-data file."""

KEYS = {name.removesuffix(".csv"): name for name in FILES}
"""``[masterdata]`` key -> file name (the keys are the file names without ``.csv``)."""


def write_masterdata(folder: Path, *, skip: tuple[str, ...] = (), subdir: str = "md") -> str:
    """Write the files under ``folder/subdir`` and return a ``[masterdata]`` section naming them
    relative to ``folder`` (where the settings file goes); ``skip``: keys left out."""
    (folder / subdir).mkdir(parents=True, exist_ok=True)
    lines = ["[masterdata]", "as_of = 2025-03-03"]
    for key, name in KEYS.items():
        (folder / subdir / name).write_text(FILES[name])
        if key not in skip:
            lines.append(f'{key} = "{subdir}/{name}"')
    return "\n".join(lines) + "\n"
